"""The risk engine, compiled, one implementation for the backtest and the live runtime.

`check` runs on every order before it is sent and returns the reason code (`events.ORDER_REASONS`) of the first rule
it breaks, or NO_REASON. A denied order never reaches the venue; the strategy gets an `order denied` event.

Rules, in the order they are checked:
- trading state: `halted` denies everything; `reducing` denies what would not only reduce a position;
- reduce-only: a reduce-only order that could only increase the position;
- max order quantity and max order notional (quantity x limit, trigger or mark x multiplier);
- max position per instrument (the position after the order and the open orders on the same side);
- max open orders; max submit rate (orders in any one second);
- price band: a limit or trigger further than the band's fraction from the mark;
- margin: gross exposure after the order x the instrument's initial margin must not exceed equity.

`update_state` runs at every mark: equity more than the max daily loss below the day's start, or more than the max
drawdown below its peak, switches the trading state to `reducing`. A new day (midnight in the strategy's time zone)
clears the daily loss; `halted` is only ever set by the user and stays.
"""

from __future__ import annotations

from .context import CTX_HEADER, EQUITY, INSTRUMENT_SLOTS, POSITION
from .engine_state import (CAUSE_DAILY_LOSS, CAUSE_DRAWDOWN, CAUSE_USER, A_DAY_START, A_PEAK, E_ACCT, E_IV, E_LIMITS,
                           E_MARKET, E_ORDERS, E_SPEC, E_SUBMITS, A_RATE,
                           E_TZ_AT, E_TZ_OFF, I_DAY, I_DAY_END, I_N_ORDERS, I_STATE_CAUSE, I_SUBMIT_POS, I_TRADING_STATE, L_MAX_DAILY_LOSS,
                           L_MAX_DRAWDOWN, L_MAX_OPEN_ORDERS, L_MAX_ORDER_NOTIONAL, L_MAX_ORDER_QTY,
                           L_MAX_SUBMIT_RATE, L_PRICE_BAND, M_MARK, ST_DONE, TS_ACTIVE, TS_HALTED, TS_REDUCING)
from .events import REASON, NO_REASON
from .instruments import CURRENCY, MARGIN_INIT, MAX_POSITION, MULTIPLIER
from .intents import FLAG_REDUCE_ONLY
from .engine_ref import load
from .jit import hot
from .ops import NS_PER_DAY, NS_PER_SECOND, local_time
from .portfolio import gross_exposure

R_MAX_ORDER_QTY = REASON["max_order_qty"]
R_MAX_ORDER_NOTIONAL = REASON["max_order_notional"]
R_MAX_POSITION = REASON["max_position"]
R_MAX_OPEN_ORDERS = REASON["max_open_orders"]
R_MAX_SUBMIT_RATE = REASON["max_submit_rate"]
R_PRICE_BAND = REASON["price_band"]
R_HALTED = REASON["halted"]
R_REDUCING_ONLY = REASON["reducing_only"]
R_INSUFFICIENT_MARGIN = REASON["insufficient_margin"]
R_REDUCE_ONLY = REASON["reduce_only_would_increase"]


@hot
def check(ep, ctx, row, k, side, qty, price, trigger, flags, t):
    """The reason to deny the order at table row `row`, or NO_REASON (and then it counts towards the submit
    rate)."""
    eng = load(ep)
    limits = eng[E_LIMITS]
    iv = eng[E_IV]
    pos = ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + POSITION]
    # a reduce-only order fills at most the position, so it only reduces whatever its quantity
    only_reduces = pos * side < 0.0 and (qty <= abs(pos) * (1.0 + 1e-12) or flags & FLAG_REDUCE_ONLY != 0)
    state = iv[I_TRADING_STATE]
    if state == TS_HALTED:
        return R_HALTED
    if state == TS_REDUCING and not only_reduces:
        return R_REDUCING_ONLY
    if flags & FLAG_REDUCE_ONLY and pos * side >= 0.0:
        return R_REDUCE_ONLY
    mark = eng[E_MARKET][k, M_MARK]
    ref = price if price == price else (trigger if trigger == trigger else mark)
    mult = eng[E_SPEC][k, MULTIPLIER] * eng[E_ACCT][A_RATE + int(eng[E_SPEC][k, CURRENCY])]  # base per unit x price
    notional = qty * ref * mult
    if limits[L_MAX_ORDER_QTY] > 0.0 and qty > limits[L_MAX_ORDER_QTY]:
        return R_MAX_ORDER_QTY
    if limits[L_MAX_ORDER_NOTIONAL] > 0.0 and notional > limits[L_MAX_ORDER_NOTIONAL]:
        return R_MAX_ORDER_NOTIONAL
    max_pos = eng[E_SPEC][k, MAX_POSITION]
    orders = eng[E_ORDERS]
    n = iv[I_N_ORDERS]
    if max_pos > 0.0 and not only_reduces:
        same_side = 0.0
        for j in range(n):
            o = orders[j]
            if j != row and o["status"] != ST_DONE and o["instrument"] == k and o["side"] == side:
                same_side += o["qty"] - o["filled"]
        if abs(pos + side * (qty + same_side)) > max_pos * (1.0 + 1e-12):
            return R_MAX_POSITION
    if limits[L_MAX_OPEN_ORDERS] > 0.0:
        open_orders = 0
        for j in range(n):
            if j != row and orders[j]["status"] != ST_DONE:
                open_orders += 1
        if open_orders >= limits[L_MAX_OPEN_ORDERS]:
            return R_MAX_OPEN_ORDERS
    band = limits[L_PRICE_BAND]
    if band > 0.0 and mark == mark:
        for level in (price, trigger):
            if level == level and abs(level - mark) > band * mark:
                return R_PRICE_BAND
    if not only_reduces:
        after = abs(pos + side * qty) - abs(pos)
        required = (gross_exposure(eng, ctx) + after * ref * mult) * eng[E_SPEC][k, MARGIN_INIT]
        if ref == ref and required > ctx[EQUITY] * (1.0 + 1e-9):
            return R_INSUFFICIENT_MARGIN
    if limits[L_MAX_SUBMIT_RATE] > 0.0:
        ring = eng[E_SUBMITS]
        at = iv[I_SUBMIT_POS]
        if ring[at] > t - NS_PER_SECOND:  # the oldest of the last `rate` submits is within the second
            return R_MAX_SUBMIT_RATE
        ring[at] = t
        iv[I_SUBMIT_POS] = (at + 1) % ring.shape[0]
    return NO_REASON


@hot(inline="always")
def update_state(eng, ctx, t):
    """Peak equity, the day's starting equity, and the trading state they imply."""
    acct = eng[E_ACCT]
    iv = eng[E_IV]
    limits = eng[E_LIMITS]
    equity = ctx[EQUITY]
    if t >= iv[I_DAY_END]:
        local = local_time(t, eng[E_TZ_AT], eng[E_TZ_OFF])
        iv[I_DAY] = local // NS_PER_DAY
        iv[I_DAY_END] = t - local % NS_PER_DAY + NS_PER_DAY
        acct[A_DAY_START] = equity
        if iv[I_STATE_CAUSE] == CAUSE_DAILY_LOSS:
            iv[I_TRADING_STATE] = TS_ACTIVE  # a new day clears the daily loss (the drawdown is re-checked below)
            iv[I_STATE_CAUSE] = CAUSE_USER
    if equity > acct[A_PEAK]:
        acct[A_PEAK] = equity
    if iv[I_TRADING_STATE] != TS_ACTIVE:
        return
    if limits[L_MAX_DAILY_LOSS] > 0.0 and acct[A_DAY_START] - equity > limits[L_MAX_DAILY_LOSS]:
        iv[I_TRADING_STATE] = TS_REDUCING
        iv[I_STATE_CAUSE] = CAUSE_DAILY_LOSS
    elif limits[L_MAX_DRAWDOWN] > 0.0 and acct[A_PEAK] > 0.0 \
            and (acct[A_PEAK] - equity) / acct[A_PEAK] > limits[L_MAX_DRAWDOWN]:
        iv[I_TRADING_STATE] = TS_REDUCING
        iv[I_STATE_CAUSE] = CAUSE_DRAWDOWN
