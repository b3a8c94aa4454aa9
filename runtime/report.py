"""A backtest's report: one self-contained HTML file (inline SVG and CSS, no script, nothing fetched) that opens
offline: the statistics table, equity and drawdown curves, trades marked on the price, monthly returns and the
strategy's `record` series.

    result.plot()                        # in a notebook, shown inline
    result.plot().save("report.html")
    ntc run ... --out DIR                # DIR/report.html beside the Parquet files

Long curves are drawn from at most ~2 points per pixel column (the lowest and highest of each column), so the
shape, the extremes and the file's size hold for millions of samples.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .stats import STAT_ROWS, format_stat

WIDTH, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 960, 70, 12, 10, 22
COLUMNS = WIDTH - PAD_LEFT - PAD_RIGHT
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}.sub{color:#666;margin:0 0 16px}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}.stats td:first-child{color:#555}
.months td{min-width:44px;font-variant-numeric:tabular-nums}
svg{width:100%;height:auto;display:block}svg text{font-size:11px;fill:#666}
.grid{stroke:#eee}.axis{stroke:#bbb}.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
"""


class Report:
    """The HTML of one run's report."""

    def __init__(self, html_text: str):
        self.html = html_text

    def _repr_html_(self) -> str:
        return self.html

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path


def build_report(result) -> Report:
    manifest = result.strategy.manifest
    equity = result.equity
    stats = result.stats
    fill_rule = "the bar close" if result.raw.fill_on_close else "the next bar's open"
    period = (f"{equity.index[0]:%Y-%m-%d %H:%M} to {equity.index[-1]:%Y-%m-%d %H:%M} UTC" if len(equity)
              else "no events")
    params = ", ".join(f"{k}={v}" for k, v in result.params.items()) or "defaults"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(manifest.strategy)} backtest</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>{_e(manifest.strategy)}</h1>",
             f"<p class='sub'>{_e(period)} · {result.raw.timings.get('events', 0):,} events · params: {_e(params)} · "
             f"orders on bars fill at {_e(fill_rule)}</p>",
             "<h2>Statistics</h2>", _stats_table(stats)]
    if len(equity):
        t = equity.index.asi8
        parts += ["<h2>Equity</h2>", _chart(t, [("equity", equity["equity"].to_numpy(), "#1f77b4")], 220),
                  "<h2>Drawdown</h2>", _chart(t, [("drawdown", equity["drawdown"].to_numpy() * 100, "#d62728")], 120,
                                              area=True, unit="%")]
        primary = result.primary_instrument
        k = [i.name for i in manifest.instruments].index(primary)
        fills = result.raw.fills[result.raw.fills["instrument"] == k]
        marks = list(zip(fills["ts_event"].tolist(), fills["price"].tolist(), fills["side"].tolist()))
        parts += [f"<h2>Trades on {_e(primary)}</h2>",
                  _legend([("buy", "#2ca02c"), ("sell", "#d62728")]),
                  _chart(t, [("price", equity["price"].to_numpy(), "#555")], 260, marks=marks)]
        parts += ["<h2>Monthly returns</h2>", _monthly_table(equity["equity"], result.raw.start_equity)]
        for name in manifest.records:
            parts += [f"<h2>record {_e(name)}</h2>", _chart(t, [(name, equity[name].to_numpy(), "#9467bd")], 120)]
    parts.append("</body></html>")
    return Report("\n".join(parts))


# ---------------------------------------------------------------- tables
def _stats_table(stats: dict) -> str:
    rows = "".join(f"<tr><td>{_e(label)}</td><td>{_e(format_stat(stats.get(key, math.nan), kind))}</td></tr>"
                   for key, label, kind in STAT_ROWS)
    return f"<table class='stats'>{rows}</table>"


def monthly_returns(equity: pd.Series, start_equity: float) -> pd.DataFrame:
    """Return of each calendar month (UTC): its last equity over the previous month's last (the first month over
    the starting equity); rows are years, columns months and the year."""
    def returns(last: pd.Series) -> np.ndarray:
        values = last.to_numpy()
        return values / np.r_[start_equity, values[:-1]] - 1

    month_end = equity.groupby([equity.index.year, equity.index.month]).last()
    table = pd.Series(returns(month_end), index=month_end.index).unstack(level=1).reindex(columns=range(1, 13))
    table.columns = list(MONTHS)
    table["Year"] = returns(equity.groupby(equity.index.year).last())
    return table


def _monthly_table(equity: pd.Series, start_equity: float) -> str:
    table = monthly_returns(equity, start_equity)
    head = "".join(f"<th>{c}</th>" for c in ["", *table.columns])
    body = []
    for year, row in table.iterrows():
        cells = "".join(f"<td style='background:{_shade(v)}'>{'' if v != v else f'{v * 100:.1f}%'}</td>"
                        for v in row.to_numpy())
        body.append(f"<tr><td>{year}</td>{cells}</tr>")
    return f"<table class='months'><tr>{head}</tr>{''.join(body)}</table>"


def _shade(v: float) -> str:
    if v != v:
        return "transparent"
    strength = min(abs(v) / 0.1, 1.0)  # full colour at 10% a month
    return f"rgba(44,160,44,{strength * 0.55:.2f})" if v >= 0 else f"rgba(214,39,40,{strength * 0.55:.2f})"


def _legend(items) -> str:
    return "<div class='legend'>" + "".join(f"<span><i class='sw' style='background:{c}'></i>{_e(n)}</span>"
                                            for n, c in items) + "</div>"


# ---------------------------------------------------------------- charts
def _chart(t: np.ndarray, lines, height: int, area: bool = False, unit: str = "", marks=()) -> str:
    """An SVG chart of one or more series over time t (ns); `marks` are (time, price, side) triangles."""
    values = np.concatenate([v[np.isfinite(v)] for _, v, _ in lines] + [np.array([p for _, p, _ in marks], float)])
    if not len(values) or len(t) == 0:
        return "<p class='sub'>nothing to draw</p>"
    lo, hi = float(values.min()), float(values.max())
    if area:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    t0, t1 = int(t[0]), int(t[-1]) if t[-1] > t[0] else int(t[0]) + 1
    inner = height - PAD_TOP - PAD_BOTTOM

    def x(ts):
        return PAD_LEFT + (np.asarray(ts, float) - t0) / (t1 - t0) * COLUMNS

    def y(v):
        return PAD_TOP + (hi - np.asarray(v, float)) / (hi - lo) * inner

    out = [f"<svg viewBox='0 0 {WIDTH} {height}' xmlns='http://www.w3.org/2000/svg'>"]
    for tick in _ticks(lo, hi):
        yy = float(y(tick))
        out.append(f"<line class='grid' x1='{PAD_LEFT}' x2='{WIDTH - PAD_RIGHT}' y1='{yy:.1f}' y2='{yy:.1f}'/>"
                   f"<text x='{PAD_LEFT - 6}' y='{yy + 4:.1f}' text-anchor='end'>{_num(tick)}{unit}</text>")
    for tick in _time_ticks(t0, t1):
        xx = float(x(tick))
        label = pd.Timestamp(tick, unit="ns", tz="UTC")
        text = f"{label:%Y-%m-%d}" if t1 - t0 > 3 * 86_400 * 10**9 else f"{label:%m-%d %H:%M}"
        out.append(f"<text x='{xx:.1f}' y='{height - 6}' text-anchor='middle'>{text}</text>")
    out.append(f"<line class='axis' x1='{PAD_LEFT}' x2='{WIDTH - PAD_RIGHT}' y1='{height - PAD_BOTTOM}' "
               f"y2='{height - PAD_BOTTOM}'/>")
    for _, v, color in lines:
        keep = _thin(t, v)
        xs, ys, ok = x(t[keep]), y(v[keep]), np.isfinite(v[keep])
        path = _path(xs, ys, ok)
        if area and path:
            base = float(y(0.0))
            out.append(f"<path d='{path} L{xs[ok][-1]:.1f},{base:.1f} L{xs[ok][0]:.1f},{base:.1f} Z' "
                       f"fill='{color}' fill-opacity='0.25' stroke='none'/>")
        out.append(f"<path d='{path}' fill='none' stroke='{color}' stroke-width='1.2'/>")
    for ts, price, side in marks:
        xx, yy = float(x(ts)), float(y(price))
        shape = (f"{xx:.1f},{yy + 1:.1f} {xx - 4:.1f},{yy + 8:.1f} {xx + 4:.1f},{yy + 8:.1f}" if side > 0 else
                 f"{xx:.1f},{yy - 1:.1f} {xx - 4:.1f},{yy - 8:.1f} {xx + 4:.1f},{yy - 8:.1f}")
        out.append(f"<polygon points='{shape}' fill='{'#2ca02c' if side > 0 else '#d62728'}'/>")
    out.append("</svg>")
    return "".join(out)


def _thin(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Indices to draw: all of a short series, else the first, lowest, highest and last of each pixel column."""
    n = len(t)
    if n <= 2 * COLUMNS:
        return np.arange(n)
    column = ((t - t[0]) * (COLUMNS - 1) // max(int(t[-1] - t[0]), 1)).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends = np.r_[starts[1:], n] - 1
    filled = np.where(np.isfinite(v), v, np.nan)
    picks = [starts, ends]
    for reduce in (np.fmin, np.fmax):
        best = reduce.reduceat(filled, starts)
        for s, e, b in zip(starts, ends, best):  # the index of each column's extreme
            if b == b:
                picks.append(np.array([s + int(np.flatnonzero(filled[s:e + 1] == b)[0])]))
    return np.unique(np.concatenate(picks))


def _path(xs, ys, ok) -> str:
    """An SVG path through the finite points; a gap (na) lifts the pen."""
    out, pen = [], False
    for xx, yy, good in zip(xs.tolist(), ys.tolist(), ok.tolist()):
        if not good:
            pen = False
            continue
        out.append(f"{'L' if pen else 'M'}{xx:.1f},{yy:.1f}")
        pen = True
    return " ".join(out)


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    step = 10 ** math.floor(math.log10((hi - lo) / count))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= count:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def _time_ticks(t0: int, t1: int, count: int = 6) -> list[int]:
    return [int(t0 + (t1 - t0) * i / (count - 1)) for i in range(count)]


def _num(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:g}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def _e(text) -> str:
    return html.escape(str(text), quote=True)
