"""Hyper-V live-migration performance kit: load perfmon captures, analyse, chart."""
