"""The simulated venue's order entry, compiled: intents into orders (through the risk engine), arrival after the
submit latency, cancels after the cancel latency, expiries, market data marks and liquidation.

An intent becomes at most one order, except `close all` (one per instrument with a position) and `cancel`/`modify`
(which act on open orders). `target X Q` sends the difference between Q and the position plus the open market
orders on X, so asking twice before a fill does not double it; `close X` is a reduce-only `target X 0`.
Quantities are rounded down to the lot and prices to the tick on the passive side (a buy limit down, a buy stop up)
unless rounding is off, when an order off the grid is rejected.
"""

from __future__ import annotations

import math

from .context import CTX_HEADER, EQUITY, INSTRUMENT_SLOTS, POSITION
from .engine_state import (A_RATE, BK_ASK, BK_ASK_SIZE, BK_BID, BK_BID_SIZE, C_CANCEL_NS, C_FILL_ON_CLOSE, C_LIVE,
                           C_ROUND,
                           C_SUBMIT_NS, E_ACCT, E_BOOK, E_CFG, E_IV, E_MARKET, E_ORDERS, E_SPEC, I_DONE_ROWS, I_ENGINE_SEQ, I_N_ORDERS, I_STATUS, I_TRADING_STATE, M_ASK, M_ASK_SIZE, M_BID,
                           M_BID_SIZE, M_MARK, M_MODE, M_SEEN, MODE_BARS, NO_TIME, ST_PENDING, ST_WORKING,
                           STATUS_TOO_MANY_ORDERS, TS_REDUCING)
from .events import NO_REASON, ORDER_ACCEPTED, ORDER_DENIED, ORDER_EXPIRED, ORDER_REJECTED, ORDER_SUBMITTED, REASON
from .instruments import CURRENCY, LOT, MARGIN_MAINT, MIN_NOTIONAL, MIN_QTY, MULTIPLIER, PAIR, TICK
from .intents import (ACTION_CANCEL, ACTION_CLOSE, ACTION_MODIFY, ACTION_ORDER, ACTION_TARGET, FLAG_POST_ONLY,
                      FLAG_REDUCE_ONLY, NO_ID, TIF_FOK, TIF_IOC, TYPE_LIMIT, TYPE_MARKET, TYPE_STOP, TYPE_STOP_LIMIT,
                      TYPE_TRAILING)
from .engine_ref import load
from .jit import hot
from .matching import match_at, match_book
from .orders import (cancel, changed, compact, expiry, fill, finish, is_open, latency, log_event, new_row, next_action,
                     open_count)
from .portfolio import refresh
from .risk import check, update_state

R_MIN_QTY = REASON["min_qty"]
R_MIN_NOTIONAL = REASON["min_notional"]
R_TICK = REASON["tick_size"]
R_LOT = REASON["lot_size"]
R_POST_ONLY = REASON["post_only_would_cross"]
R_MARGIN = REASON["insufficient_margin"]
GRID_EPS = 1e-9


# ---------------------------------------------------------------- rounding to the venue's grid
@hot(inline="always")
def to_lot(qty, lot):
    if lot <= 0.0:
        return qty
    return math.floor(qty / lot + GRID_EPS) * lot


@hot(inline="always")
def to_tick(price, tick, down):
    if tick <= 0.0 or price != price:
        return price
    steps = price / tick
    return (math.floor(steps + GRID_EPS) if down else math.ceil(steps - GRID_EPS)) * tick


@hot(inline="always")
def off_grid(value, step):
    if step <= 0.0 or value != value:
        return False
    steps = value / step
    return abs(steps - round(steps)) > 1e-6


# ---------------------------------------------------------------- intents
@hot(inline="always")
def working_market_qty(eng, k):
    """The signed open quantity of instrument k's market orders: what a target or close counts as done."""
    orders = eng[E_ORDERS]
    total = 0.0
    for j in range(eng[E_IV][I_N_ORDERS]):
        o = orders[j]
        if o["instrument"] == k and o["order_type"] == TYPE_MARKET and is_open(o):
            total += o["side"] * (o["qty"] - o["filled"])
    return total


@hot
def submit_intents(ep, ctx, out, n, t):
    """Every intent a handler wrote, in order."""
    eng = load(ep)
    for i in range(n):
        it = out[i]
        action = it["action"]
        if action == ACTION_ORDER:
            send(ep, ctx, it, it["instrument"], it["side"], it["qty"], it["flags"], it["seq"], t)
        elif action == ACTION_TARGET or action == ACTION_CLOSE:
            k = it["instrument"]
            if k == NO_ID:
                for m in range(eng[E_SPEC].shape[0]):
                    towards(ep, ctx, it, m, 0.0, True, t)
            else:
                towards(ep, ctx, it, k, it["qty"] if action == ACTION_TARGET else 0.0, action == ACTION_CLOSE, t)
        elif action == ACTION_CANCEL:
            cancel_matching(ep, ctx, it["instrument"], it["tag"], t)
        elif action == ACTION_MODIFY:
            modify(ep, it, t)
    if eng[E_IV][I_DONE_ROWS] > 0:
        compact(ep)
    next_action(ep)


@hot
def towards(ep, ctx, it, k, target, reduce_only, t):
    eng = load(ep)
    pos = ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + POSITION] + working_market_qty(eng, k)
    delta = target - pos
    qty = to_lot(abs(delta), eng[E_SPEC][k, LOT])
    if qty <= 0.0 or (reduce_only and pos == 0.0):
        return
    flags = it["flags"] | (FLAG_REDUCE_ONLY if reduce_only else 0)
    seq = it["seq"]
    if k != it["instrument"]:  # one of several orders of `close all`: each needs an id of its own
        iv = eng[E_IV]
        seq = iv[I_ENGINE_SEQ]
        iv[I_ENGINE_SEQ] = seq + 1
    send(ep, ctx, it, k, 1 if delta > 0.0 else -1, qty, flags, seq, t)


@hot
def send(ep, ctx, it, k, side, qty, flags, seq, t):
    """One order: rounded, risk-checked, then on its way to the venue (or denied)."""
    eng = load(ep)
    spec = eng[E_SPEC]
    order_type = it["order_type"]
    price = it["price"]
    trigger = it["trigger"]
    if order_type == TYPE_MARKET and price == price:
        order_type = TYPE_LIMIT  # `target X Q limit P`, `close X limit P`
    rounding = eng[E_CFG][C_ROUND] == 1.0
    stop_loss = it["stop_loss"]
    take_profit = it["take_profit"]
    if rounding:
        qty = to_lot(qty, spec[k, LOT])
        price = to_tick(price, spec[k, TICK], side > 0)
        trigger = to_tick(trigger, spec[k, TICK], side < 0 if order_type == TYPE_STOP or order_type == TYPE_STOP_LIMIT
                          or order_type == TYPE_TRAILING else side > 0)
        # a bracket's exits are orders of the other side: its stop (a sell stop for a buy: down) and its limit
        stop_loss = to_tick(stop_loss, spec[k, TICK], side > 0)
        take_profit = to_tick(take_profit, spec[k, TICK], side < 0)
    j = new_row(ep, seq, k, side, qty, order_type, price, trigger, it["trail"], it["trail_unit"], it["tif"],
                expiry(eng, it["tif"], it["expire_after"], t), flags, it["tag"], it["oco"], -1, stop_loss,
                take_profit, it["source_line"], t)
    if j < 0:
        eng[E_IV][I_STATUS] = STATUS_TOO_MANY_ORDERS  # the loop stops and says so
        return
    open_count(ctx, k, 1.0)
    log_event(ep, j, ORDER_SUBMITTED, NO_REASON, t)
    reason = check(ep, ctx, j, k, side, qty, price, trigger, flags, t)
    if reason != NO_REASON:
        finish(eng, ctx, j)
        log_event(ep, j, ORDER_DENIED, reason, t)
        return
    orders = eng[E_ORDERS]
    if eng[E_CFG][C_LIVE] == 1.0:
        orders[j]["ts_active"] = NO_TIME  # the scheduler sends it; the venue's answer comes as a report
        return
    orders[j]["ts_active"] = t + latency(eng, eng[E_CFG][C_SUBMIT_NS])
    if orders[j]["ts_active"] <= t:
        arrive(ep, ctx, j, t)


@hot
def venue_reject_reason(ep, o):
    eng = load(ep)
    spec = eng[E_SPEC]
    k = o["instrument"]
    qty = o["qty"]
    if qty <= 0.0 or qty < spec[k, MIN_QTY]:
        return R_MIN_QTY
    ref = o["price"] if o["price"] == o["price"] else eng[E_MARKET][k, M_MARK]
    if spec[k, MIN_NOTIONAL] > 0.0 and ref == ref and qty * ref * spec[k, MULTIPLIER] < spec[k, MIN_NOTIONAL]:
        return R_MIN_NOTIONAL
    if off_grid(qty, spec[k, LOT]):
        return R_LOT
    if off_grid(o["price"], spec[k, TICK]) or off_grid(o["trigger"], spec[k, TICK]):
        return R_TICK
    if o["flags"] & FLAG_POST_ONLY and o["price"] == o["price"]:
        market = eng[E_MARKET]
        best = market[k, M_ASK] if o["side"] > 0 else market[k, M_BID]
        if best != best:
            best = market[k, M_MARK]
        if best == best and o["side"] * (o["price"] - best) >= 0.0:
            return R_POST_ONLY
    return NO_REASON


@hot
def arrive(ep, ctx, j, t):
    """Order row j reaches the venue: accepted (or rejected), then matched against what the venue shows now."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    o = orders[j]
    reason = venue_reject_reason(ep, o)
    if reason != NO_REASON:
        finish(eng, ctx, j)
        log_event(ep, j, ORDER_REJECTED, reason, t)
        return
    o["status"] = ST_WORKING
    o["ts_active"] = t
    k = o["instrument"]
    market = eng[E_MARKET]
    if o["order_type"] == TYPE_TRAILING:
        o["trail_ref"] = market[k, M_MARK]
    log_event(ep, j, ORDER_ACCEPTED, NO_REASON, t)
    if market[k, M_SEEN] == 0.0:
        return
    chance = True
    if market[k, M_MODE] == MODE_BARS:
        if eng[E_CFG][C_FILL_ON_CLOSE] == 1.0:
            match_at(ep, ctx, j, market[k, M_MARK], t)
        else:
            chance = False  # waits for the next bar
    else:
        match_book(ep, ctx, k, t, j, True)
    if chance and o["status"] == ST_WORKING and (o["tif"] == TIF_IOC or o["tif"] == TIF_FOK):
        cancel(ep, ctx, j, NO_REASON, t)


@hot
def cancel_matching(ep, ctx, k, tag, t):
    """`cancel all` (k and tag NO_ID), `cancel X`, `cancel "tag"`: immediately, or after the cancel latency (until
    then the order can still fill)."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    delay = latency(eng, eng[E_CFG][C_CANCEL_NS])
    for j in range(eng[E_IV][I_N_ORDERS]):
        o = orders[j]
        if not is_open(o) or (k != NO_ID and o["instrument"] != k) or (tag != NO_ID and o["tag"] != tag):
            continue
        if delay <= 0:
            cancel(ep, ctx, j, NO_REASON, t)
        elif o["ts_cancel"] == NO_TIME:
            o["ts_cancel"] = t + delay


@hot
def modify(ep, it, t):
    """`modify "tag"`: the given price, trigger, trailing distance or quantity of every open order with the tag."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    spec = eng[E_SPEC]
    rounding = eng[E_CFG][C_ROUND] == 1.0
    for j in range(eng[E_IV][I_N_ORDERS]):
        o = orders[j]
        if not is_open(o) or o["tag"] != it["tag"]:
            continue
        k = o["instrument"]
        if it["price"] == it["price"]:
            o["price"] = to_tick(it["price"], spec[k, TICK], o["side"] > 0) if rounding else it["price"]
        if it["trigger"] == it["trigger"]:
            o["trigger"] = to_tick(it["trigger"], spec[k, TICK], o["side"] < 0) if rounding else it["trigger"]
        if it["trail"] == it["trail"]:
            o["trail"] = it["trail"]
        if it["qty"] == it["qty"]:
            o["qty"] = max(to_lot(it["qty"], spec[k, LOT]) if rounding else it["qty"], o["filled"])
        changed(ep, j, t)


# ---------------------------------------------------------------- time passing
@hot
def advance(ep, ctx, t):
    """What the venue does at time t: orders arriving, cancels taking effect, orders expiring."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    for j in range(eng[E_IV][I_N_ORDERS]):
        o = orders[j]
        if o["status"] == ST_PENDING and o["ts_active"] <= t:
            arrive(ep, ctx, j, o["ts_active"])
        if o["status"] != ST_WORKING:
            continue
        if o["ts_cancel"] <= t:
            cancel(ep, ctx, j, NO_REASON, o["ts_cancel"])
        elif o["ts_expire"] != NO_TIME and o["ts_expire"] < t:
            if eng[E_CFG][C_LIVE] == 1.0:
                cancel(ep, ctx, j, NO_REASON, t)  # a venue without this time in force is asked to cancel
            else:
                finish(eng, ctx, j)
                log_event(ep, j, ORDER_EXPIRED, NO_REASON, o["ts_expire"] + 1)
    if eng[E_IV][I_DONE_ROWS] > 0:
        compact(ep)
    next_action(ep)


# ---------------------------------------------------------------- market data
@hot(inline="always")
def mark(eng, ctx, k, price, t):
    """A new price for instrument k: equity and the risk state. True when k is traded on margin, and the caller
    must then run `margin_call`."""
    market = eng[E_MARKET]
    market[k, M_MARK] = price
    market[k, M_SEEN] = 1.0
    spec = eng[E_SPEC]
    if spec[k, PAIR] >= 0.0:  # an FX pair AAABBB: one AAA is worth `price` BBB (the base currency stays at 1)
        acct = eng[E_ACCT]
        a, b = int(spec[k, PAIR]), int(spec[k, CURRENCY])
        if a == 0:
            acct[A_RATE + b] = 1.0 / price
        else:
            acct[A_RATE + a] = price * acct[A_RATE + b]
    refresh(eng, ctx)
    update_state(eng, ctx, t)
    return eng[E_SPEC][k, MARGIN_MAINT] > 0.0


@hot
def margin_call(ep, ctx, t):
    """Liquidation when equity has fallen below the positions' maintenance margin."""
    eng = load(ep)
    market = eng[E_MARKET]
    spec = eng[E_SPEC]
    maintenance = 0.0
    for m in range(spec.shape[0]):
        pos = ctx[CTX_HEADER + INSTRUMENT_SLOTS * m + POSITION]
        if pos != 0.0:
            maintenance += (abs(pos) * market[m, M_MARK] * spec[m, MULTIPLIER] * spec[m, MARGIN_MAINT]
                            * eng[E_ACCT][A_RATE + int(spec[m, CURRENCY])])
    if ctx[EQUITY] < maintenance:
        liquidate(ep, ctx, t)


@hot(inline="always")
def quote(eng, k, bid, ask, bid_size, ask_size):
    """Instrument k's best bid and offer, which are also its book's top level."""
    market = eng[E_MARKET]
    market[k, M_BID] = bid
    market[k, M_ASK] = ask
    market[k, M_BID_SIZE] = bid_size
    market[k, M_ASK_SIZE] = ask_size
    top = eng[E_BOOK][k, 0]
    top[BK_BID] = bid
    top[BK_ASK] = ask
    top[BK_BID_SIZE] = bid_size
    top[BK_ASK_SIZE] = ask_size


@hot(inline="always")
def levels(eng, k, bid, bid_size, ask, ask_size):
    """Instrument k's book below the top level, from an order book event's level arrays (as deep as both go; an
    empty level has size 0)."""
    book = eng[E_BOOK][k]
    for m in range(1, min(book.shape[0], bid.shape[0])):
        book[m, BK_BID] = bid[m]
        book[m, BK_BID_SIZE] = bid_size[m]
        book[m, BK_ASK] = ask[m]
        book[m, BK_ASK_SIZE] = ask_size[m]


@hot
def liquidate(ep, ctx, t):
    """Below maintenance margin: every open order canceled, every position closed at its mark, and the trading
    state set to reducing."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    for j in range(eng[E_IV][I_N_ORDERS]):
        if is_open(orders[j]):
            cancel(ep, ctx, j, R_MARGIN, t)
    compact(ep)
    market = eng[E_MARKET]
    iv = eng[E_IV]
    for k in range(eng[E_SPEC].shape[0]):
        pos = ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + POSITION]
        if pos == 0.0:
            continue
        seq = iv[I_ENGINE_SEQ]
        iv[I_ENGINE_SEQ] = seq + 1
        side = -1 if pos > 0.0 else 1
        j = new_row(ep, seq, k, side, abs(pos), TYPE_MARKET, math.nan, math.nan, math.nan, 0, 0, NO_TIME,
                    FLAG_REDUCE_ONLY, NO_ID, NO_ID, -1, math.nan, math.nan, -1, t)
        if j < 0:
            continue
        orders[j]["status"] = ST_WORKING
        open_count(ctx, k, 1.0)
        fill(ep, ctx, j, abs(pos), market[k, M_MARK], False, t)
    iv[I_TRADING_STATE] = TS_REDUCING
    compact(ep)
    refresh(eng, ctx)
