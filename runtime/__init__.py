"""Runtime: event records, schedulers, simulated venue, risk, portfolio (arrives with the backtest engine)."""
