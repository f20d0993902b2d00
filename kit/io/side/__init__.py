"""Side inputs: Hyper-V events, host topology exports and ping logs."""
