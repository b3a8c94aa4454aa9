"""The portfolio, compiled: fills into positions, cash and PnL; marks into equity; equity samples.

Its storage is the strategy's context array (runtime/context.py), so what a handler reads is always current:
`equity`, `cash`, and per instrument the net position, the average entry price (NaN when flat), unrealized and
realized PnL. Cash-settled instruments (spot, equities, FX) move cash by the traded notional and are worth
position x mark; futures and perpetuals move cash by realized PnL only and are worth their unrealized PnL. Either
way `equity == cash + sum(position value)`, recomputed from scratch at every mark so it never drifts.
"""

from __future__ import annotations

import math

from .context import AVG_PRICE, CASH, CTX_HEADER, EQUITY, INSTRUMENT_SLOTS, POSITION, REALIZED_PNL, UNREALIZED_PNL
from .engine_state import (A_BALANCE, A_CURRENCIES, A_RATE, E_ACCT, E_EQ, E_EQ_TS, E_IV, E_MARKET, E_RECORDS,
                           E_SPEC, EQ_CASH, EQ_EQUITY, EQ_EXPOSURE, E_EQ_PRICE, I_N_EQ, I_SAMPLE_AT, I_STATUS, M_MARK,
                           STATUS_OVERFLOW)
from .instruments import CASH_SETTLED, CURRENCY, MULTIPLIER
from .engine_ref import load
from .jit import hot

FLAT_EPS = 1e-9  # a position this small relative to the traded quantity is flat (float sums of lots)


@hot
def apply_fill(ep, ctx, k, side, qty, price, fee):
    """Books one fill of `qty` (> 0) at `price` on instrument k; returns the PnL it realized."""
    eng = load(ep)
    spec = eng[E_SPEC]
    mult = spec[k, MULTIPLIER]
    b = CTX_HEADER + INSTRUMENT_SLOTS * k
    pos = ctx[b + POSITION]
    avg = ctx[b + AVG_PRICE]
    signed = side * qty
    new = pos + signed
    realized = 0.0
    if pos == 0.0 or (pos > 0.0) == (side > 0):
        avg = price if pos == 0.0 else (avg * abs(pos) + price * qty) / abs(new)
    else:
        closing = min(qty, abs(pos))
        realized = closing * (price - avg) * (1.0 if pos > 0.0 else -1.0) * mult
        if abs(new) <= FLAT_EPS * max(qty, abs(pos)):
            new = 0.0
            avg = math.nan
        elif (new > 0.0) != (pos > 0.0):
            avg = price  # flipped: the remainder opened at this price
    ctx[b + POSITION] = new
    ctx[b + AVG_PRICE] = avg
    ctx[b + REALIZED_PNL] += realized
    acct = eng[E_ACCT]
    c = A_BALANCE + int(spec[k, CURRENCY])  # cash moves in the instrument's currency
    if spec[k, CASH_SETTLED] == 1.0:
        acct[c] -= signed * price * mult
    else:
        acct[c] += realized
    acct[c] -= fee
    refresh(eng, ctx)
    return realized


@hot(inline="always")
def position_value(eng, ctx, k):
    """What instrument k's position adds to equity at its mark; also stores its unrealized PnL in ctx."""
    b = CTX_HEADER + INSTRUMENT_SLOTS * k
    pos = ctx[b + POSITION]
    if pos == 0.0:
        ctx[b + UNREALIZED_PNL] = 0.0
        return 0.0
    spec = eng[E_SPEC]
    mark = eng[E_MARKET][k, M_MARK]
    avg = ctx[b + AVG_PRICE]
    if mark != mark:
        mark = avg
    mult = spec[k, MULTIPLIER]
    unrealized = pos * (mark - avg) * mult
    ctx[b + UNREALIZED_PNL] = unrealized
    if spec[k, CASH_SETTLED] == 1.0:
        return pos * mark * mult
    return unrealized


@hot(inline="always")
def refresh(eng, ctx):
    """Cash and equity in the base currency (every currency's balance and position value at its rate), and every
    unrealized PnL (in its instrument's currency), from balances, positions, marks and rates."""
    acct = eng[E_ACCT]
    cash = 0.0
    for c in range(int(acct[A_CURRENCIES])):
        if acct[A_BALANCE + c] != 0.0:  # a currency with no cash adds nothing, even while it has no rate yet
            cash += acct[A_BALANCE + c] * acct[A_RATE + c]
    ctx[CASH] = cash
    total = cash
    spec = eng[E_SPEC]
    for k in range(spec.shape[0]):
        value = position_value(eng, ctx, k)
        if value != 0.0:
            total += value * acct[A_RATE + int(spec[k, CURRENCY])]
    ctx[EQUITY] = total
    return total


@hot(inline="always")
def gross_exposure(eng, ctx):
    """The positions' absolute value in the base currency."""
    spec, market, acct = eng[E_SPEC], eng[E_MARKET], eng[E_ACCT]
    total = 0.0
    for k in range(spec.shape[0]):
        pos = ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + POSITION]
        if pos != 0.0:
            mark = market[k, M_MARK]
            if mark != mark:
                mark = ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + AVG_PRICE]
            total += abs(pos) * mark * spec[k, MULTIPLIER] * acct[A_RATE + int(spec[k, CURRENCY])]
    return total


@hot(inline="always")
def sample(eng, ctx, records, k, t):
    """One point of the equity curve (and of every `record` series, and instrument k's mark) at time t; one per
    time: a later event at the same time replaces it."""
    iv = eng[E_IV]
    n = iv[I_N_EQ]
    eq = eng[E_EQ]
    if n > 0 and iv[I_SAMPLE_AT] == t:
        n -= 1
    elif n >= eq.shape[0]:
        iv[I_STATUS] = STATUS_OVERFLOW
        return
    iv[I_SAMPLE_AT] = t
    ts = eng[E_EQ_TS]
    if ts.shape[0] > 0:
        ts[n] = t
        eng[E_EQ_PRICE][n] = eng[E_MARKET][k, M_MARK]
    eq[n, EQ_EQUITY] = ctx[EQUITY]
    eq[n, EQ_CASH] = ctx[CASH]
    eq[n, EQ_EXPOSURE] = gross_exposure(eng, ctx)
    rec = eng[E_RECORDS]
    for r in range(records.shape[0]):
        rec[n, r] = records[r]
    iv[I_N_EQ] = n + 1
