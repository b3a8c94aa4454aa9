"""Statistics of a run, from its equity curve and its fills (plain numpy; `tests/test_stats.py` checks each one
against a hand computation).

Returns are daily (the last equity of each UTC day); annualized figures use the number of daily returns per year
the data itself has (about 252 for equities, 365 for crypto). The risk-free rate is 0.
"""

from __future__ import annotations

import math

import numpy as np

NS_PER_DAY = 86_400 * 10**9
DAYS_PER_YEAR = 365.25


def daily_returns(ts: np.ndarray, equity: np.ndarray, start_equity: float) -> np.ndarray:
    """Each UTC day's return, from the day's last equity sample (the first day's from the starting equity)."""
    if len(ts) == 0:
        return np.zeros(0)
    day = ts // NS_PER_DAY
    last = np.r_[day[1:] != day[:-1], True]
    closes = np.r_[start_equity, equity[last]]
    with np.errstate(divide="ignore", invalid="ignore"):
        return closes[1:] / closes[:-1] - 1.0


def drawdown(equity: np.ndarray) -> np.ndarray:
    """The fall from the running peak, as a fraction of it (0 at a new high)."""
    if len(equity) == 0:
        return np.zeros(0)
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peak > 0, 1.0 - equity / peak, 0.0)


def max_drawdown_duration_days(ts: np.ndarray, equity: np.ndarray) -> float:
    """The longest time from a peak to the next new high (or to the end, if none), in days."""
    if len(equity) == 0:
        return 0.0
    longest, peak, peak_t = 0, -math.inf, int(ts[0])
    for t, e in zip(ts.tolist(), equity.tolist()):
        if e >= peak:
            longest = max(longest, t - peak_t)
            peak, peak_t = e, t
    longest = max(longest, int(ts[-1]) - peak_t)
    return longest / NS_PER_DAY


def round_trips(fills: np.ndarray, multipliers=None) -> list[dict]:
    """Trades: from a flat position to flat again per instrument (a flip closes one and opens the next). Each with
    its PnL after fees, in the account's base currency (each fill's prices and fee at its rate)."""
    trades, open_ = [], {}
    for f in fills:
        k, side, qty = int(f["instrument"]), int(f["side"]), float(f["qty"])
        rate = float(f["rate"])
        fee = float(f["fee"]) * rate
        price = float(f["price"]) * rate * (1.0 if multipliers is None else float(multipliers[k]))
        pos, avg, pnl, start, direction = open_.get(k, (0.0, 0.0, 0.0, int(f["ts_event"]), side))
        if pos == 0.0:
            start, direction, pnl = int(f["ts_event"]), side, 0.0
        remaining = qty
        if pos != 0.0 and (pos > 0) != (side > 0):
            closing = min(qty, abs(pos))
            pnl += closing * (price - avg) * (1 if pos > 0 else -1)
            pnl -= fee * closing / qty
            pos += side * closing
            remaining -= closing
            if abs(pos) < 1e-12:
                trades.append({"instrument": k, "direction": direction, "entry_time": start,
                               "exit_time": int(f["ts_event"]), "pnl": pnl})
                pos, pnl = 0.0, 0.0
        if remaining > 1e-12:
            if pos == 0.0:
                start, direction, avg = int(f["ts_event"]), side, price
            else:
                avg = (avg * abs(pos) + price * remaining) / (abs(pos) + remaining)
            pnl -= fee * remaining / qty
            pos += side * remaining
        open_[k] = (pos, avg, pnl, start, direction)
    return trades


def statistics(ts: np.ndarray, equity: np.ndarray, exposure: np.ndarray, fills: np.ndarray,
               start_equity: float, multipliers=None) -> dict[str, float]:
    out: dict[str, float] = {}
    end = float(equity[-1]) if len(equity) else start_equity
    out["start_equity"] = start_equity
    out["end_equity"] = end
    out["total_return"] = end / start_equity - 1.0 if start_equity else math.nan
    span_days = (int(ts[-1]) - int(ts[0])) / NS_PER_DAY if len(ts) > 1 else 0.0
    years = span_days / DAYS_PER_YEAR
    growth = end / start_equity if start_equity else math.nan
    out["annual_return"] = growth ** (1.0 / years) - 1.0 if years > 0 and growth > 0 else math.nan
    r = daily_returns(ts, equity, start_equity)
    r = r[np.isfinite(r)]
    per_year = len(r) / years if years > 0 else math.nan
    sd = float(np.std(r, ddof=1)) if len(r) > 1 else math.nan
    out["volatility"] = sd * math.sqrt(per_year) if sd == sd and per_year == per_year else math.nan
    mean = float(np.mean(r)) if len(r) else math.nan
    out["sharpe"] = mean / sd * math.sqrt(per_year) if sd and sd == sd and per_year == per_year else math.nan
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2))) if len(r) else math.nan
    out["sortino"] = mean / downside * math.sqrt(per_year) if downside and per_year == per_year else math.nan
    dd = drawdown(equity)
    out["max_drawdown"] = float(dd.max()) if len(dd) else 0.0
    out["max_drawdown_days"] = max_drawdown_duration_days(ts, equity)
    out["calmar"] = out["annual_return"] / out["max_drawdown"] if out["max_drawdown"] > 0 else math.nan
    trades = round_trips(fills, multipliers)
    pnl = np.array([t["pnl"] for t in trades])
    wins, losses = pnl[pnl > 0], pnl[pnl <= 0]
    out["trades"] = float(len(trades))
    out["win_rate"] = len(wins) / len(pnl) if len(pnl) else math.nan
    out["profit_factor"] = wins.sum() / -losses.sum() if losses.sum() < 0 else (math.inf if len(wins) else math.nan)
    out["avg_win"] = float(wins.mean()) if len(wins) else math.nan
    out["avg_loss"] = float(losses.mean()) if len(losses) else math.nan
    out["expectancy"] = float(pnl.mean()) if len(pnl) else math.nan
    out["exposure"] = float(np.mean(exposure > 0)) if len(exposure) else 0.0
    mult = 1.0 if multipliers is None or not len(fills) else np.asarray(multipliers)[fills["instrument"]]
    notional = float((fills["qty"] * fills["price"] * mult * fills["rate"]).sum()) if len(fills) else 0.0
    out["turnover"] = notional / float(np.mean(equity)) if len(equity) and np.mean(equity) > 0 else math.nan
    out["fees"] = float((fills["fee"] * fills["rate"]).sum()) if len(fills) else 0.0  # in the base currency
    out["fills"] = float(len(fills))
    return out


# The statistics the summary table and the report show: (key, label, kind).
STAT_ROWS = (
    ("total_return", "Total return", "pct"), ("annual_return", "Annual return", "pct"),
    ("volatility", "Volatility (annual)", "pct"), ("sharpe", "Sharpe", "num"), ("sortino", "Sortino", "num"),
    ("max_drawdown", "Max drawdown", "pct"), ("max_drawdown_days", "Max drawdown duration (days)", "num"),
    ("calmar", "Calmar", "num"), ("trades", "Trades", "int"), ("win_rate", "Win rate", "pct"),
    ("profit_factor", "Profit factor", "num"), ("avg_win", "Average win", "money"),
    ("avg_loss", "Average loss", "money"), ("expectancy", "Expectancy per trade", "money"),
    ("exposure", "Exposure (time in market)", "pct"), ("turnover", "Turnover (x average equity)", "num"),
    ("fees", "Fees", "money"), ("fills", "Fills", "int"), ("end_equity", "End equity", "money"),
)


def format_stat(v: float, kind: str) -> str:
    """A statistic as the summary table and the report show it (kind: pct, int, money, num)."""
    if v != v:
        return "-"
    if kind == "pct":
        return f"{v * 100:.2f}%"
    if kind == "int":
        return f"{int(v):,}"
    if kind == "money":
        return f"{v:,.2f}"
    return f"{v:.2f}"
