"""Adapters: data sources and venues (arrive with the backtest and live issues)."""
