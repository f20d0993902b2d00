"""Perfmon counter logs (PDH-CSV/TSV, Get-Counter exports): sniff, decode, parse, time, check, cache."""
