"""The order table and the order state machine, compiled: events, fills, contingent orders, delivery to handlers.

An order's life: submitted -> (denied) | accepted | rejected -> [triggered] -> partially filled* -> filled |
canceled | expired. Each step is one ORDER_DTYPE record in the run's event log; the strategy's handlers receive the
kinds it handles (and its fills) through the delivery queue, each after the ack latency.

Open orders are rows 0..n of the table in sequence order (the venue's priority); a finished row is marked ST_DONE and
removed by `compact`, which keeps that order.
"""

from __future__ import annotations

import math

import numpy as np

from .context import CTX_HEADER, INSTRUMENT_SLOTS, OPEN_ORDERS, POSITION
from .engine_state import (A_RATE, C_ACK_NS, C_HANDLED, C_JITTER_NS, C_LIVE, E_ACCT, E_CFG, E_EVENTS, E_FILLS, E_IV, E_ORDERS, E_QUEUE,
                           E_ROWS, E_SPEC, E_TZ_AT, E_TZ_OFF, FILL_BIT, I_DONE_ROWS, I_ENGINE_SEQ, I_N_EVENTS,
                           I_N_FILLS, I_N_ORDERS, I_N_ROWS, I_NEXT_ACTION, I_Q_HEAD, I_Q_TAIL, I_RNG, I_STATUS,
                           NO_TIME, ST_DONE, ST_PENDING, ST_WORKING, STATUS_OVERFLOW)
from .events import (NO_REASON, ORDER_CANCELED, ORDER_FILLED, ORDER_PARTIALLY_FILLED, ORDER_PENDING_CANCEL,
                     ORDER_PENDING_MODIFY, REASON)
from .instruments import CURRENCY, FEE_MIN, FEE_PER_UNIT, MAKER_FEE, MULTIPLIER, TAKER_FEE
from .intents import FLAG_CANCEL_SENT, FLAG_REDUCE_ONLY, NO_ID, TIF_DAY, TIF_GTD, TYPE_LIMIT, TYPE_STOP
from .engine_ref import load
from .jit import hot
from .ops import NS_PER_DAY, local_time
from .portfolio import apply_fill

REDUCE_ONLY_WOULD_INCREASE = REASON["reduce_only_would_increase"]


# ---------------------------------------------------------------- randomness and latency
@hot(inline="always")
def rand(eng):
    """A uniform draw in [0, 1) from the run's seeded xorshift64* generator."""
    iv = eng[E_IV]
    x = np.uint64(iv[I_RNG])
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    iv[I_RNG] = np.int64(x)
    return float((x * np.uint64(0x2545F4914F6CDD1D)) >> np.uint64(11)) / 9007199254740992.0


@hot(inline="always")
def latency(eng, base_ns):
    """A latency: the constant, plus an exponential delay of mean C_JITTER_NS when that is set."""
    jitter = eng[E_CFG][C_JITTER_NS]
    if jitter <= 0.0:
        return np.int64(base_ns)
    return np.int64(base_ns) + np.int64(-jitter * math.log(1.0 - rand(eng)))


# ---------------------------------------------------------------- delivery to the strategy
@hot
def enqueue(ep, item, t):
    """Queues a fill (item 2 * i) or an order event (2 * i + 1) for the strategy at t + ack latency, after every
    queued item due no later (arrival order among equal times)."""
    eng = load(ep)
    q, iv = eng[E_QUEUE], eng[E_IV]
    at = t + latency(eng, eng[E_CFG][C_ACK_NS])
    tail = iv[I_Q_TAIL]
    if tail == q.shape[0]:  # full at the end: move what is waiting to the front
        head = iv[I_Q_HEAD]
        if head == 0:
            iv[I_STATUS] = STATUS_OVERFLOW
            return
        for m in range(head, tail):
            q[m - head, 0] = q[m, 0]
            q[m - head, 1] = q[m, 1]
        tail -= head
        iv[I_Q_HEAD] = 0
    j = tail
    while j > iv[I_Q_HEAD] and q[j - 1, 0] > at:  # jittered latencies may overtake: keep the queue sorted
        q[j, 0] = q[j - 1, 0]
        q[j, 1] = q[j - 1, 1]
        j -= 1
    q[j, 0] = at
    q[j, 1] = item
    iv[I_Q_TAIL] = tail + 1
    if at < iv[I_NEXT_ACTION]:
        iv[I_NEXT_ACTION] = at


@hot
def next_delivery(ep, t):
    """The next queued item due by t (and takes it off the queue), or -1."""
    eng = load(ep)
    iv = eng[E_IV]
    h = iv[I_Q_HEAD]
    if h >= iv[I_Q_TAIL] or eng[E_QUEUE][h, 0] > t:
        return -1
    item = eng[E_QUEUE][h, 1]
    if h + 1 == iv[I_Q_TAIL]:
        iv[I_Q_HEAD] = 0
        iv[I_Q_TAIL] = 0
        if iv[I_NEXT_ACTION] <= t:  # it was this delivery: without a refresh the loop would call `advance` for nothing
            next_action(ep)
    else:
        iv[I_Q_HEAD] = h + 1
    return item


@hot(inline="always")
def handled(eng, bit):
    return (np.int64(eng[E_CFG][C_HANDLED]) >> bit) & 1 == 1


@hot(inline="always")
def log_event(ep, j, kind, reason, t):
    """Logs an event of order row j (and queues it when the strategy handles its kind)."""
    eng = load(ep)
    o = eng[E_ORDERS][j]
    return log_event_of(ep, o["seq"], o["instrument"], o["side"], o["qty"], o["filled"], o["price"], o["tag"],
                        kind, reason, t)


@hot
def log_event_of(ep, seq, k, side, qty, filled, price, tag, kind, reason, t):
    eng = load(ep)
    iv = eng[E_IV]
    i = iv[I_N_EVENTS]
    if i >= eng[E_EVENTS].shape[0]:
        iv[I_STATUS] = STATUS_OVERFLOW
        return -1
    ev = eng[E_EVENTS][i]
    ev["ts_event"] = t
    ev["ts_recv"] = t
    ev["instrument"] = k
    ev["kind"] = kind
    ev["side"] = side
    ev["qty"] = qty
    ev["filled_qty"] = filled
    ev["price"] = price
    ev["tag"] = tag
    ev["reason"] = reason
    ev["seq"] = seq
    iv[I_N_EVENTS] = i + 1
    if handled(eng, kind):
        enqueue(ep, 2 * i + 1, t)
    return i


@hot(inline="always")
def changed(ep, j, t):
    """Order row j's quantity or prices changed: live, the venue is to be told (a `pending_modify` event)."""
    eng = load(ep)
    if eng[E_CFG][C_LIVE] == 1.0:
        log_event(ep, j, ORDER_PENDING_MODIFY, NO_REASON, t)


# ---------------------------------------------------------------- the table
@hot(inline="always")
def open_count(ctx, k, delta):
    ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + OPEN_ORDERS] += delta


@hot
def new_row(ep, seq, k, side, qty, order_type, price, trigger, trail, trail_unit, tif, ts_expire, flags, tag, oco,
            parent, stop_loss, take_profit, source_line, t):
    """Appends an order to the table (status ST_PENDING) and to the run's log of orders sent; returns its row, or
    -1 when the table is full."""
    eng = load(ep)
    iv = eng[E_IV]
    orders = eng[E_ORDERS]
    j = iv[I_N_ORDERS]
    if j >= orders.shape[0]:
        compact(ep)
        j = iv[I_N_ORDERS]
        if j >= orders.shape[0]:
            return -1
    o = orders[j]
    o["seq"] = seq
    o["instrument"] = k
    o["side"] = side
    o["order_type"] = order_type
    o["tif"] = tif
    o["status"] = ST_PENDING
    o["triggered"] = False
    o["qty"] = qty
    o["filled"] = 0.0
    o["price"] = price
    o["trigger"] = trigger
    o["trail"] = trail
    o["trail_unit"] = trail_unit
    o["trail_ref"] = math.nan
    o["flags"] = flags
    o["tag"] = tag
    o["oco"] = oco
    o["parent"] = parent
    o["stop_loss"] = stop_loss
    o["take_profit"] = take_profit
    o["ts_active"] = t
    o["ts_expire"] = ts_expire
    o["ts_cancel"] = NO_TIME
    o["touch_skip"] = NO_TIME
    o["value"] = 0.0
    o["fees"] = 0.0
    iv[I_N_ORDERS] = j + 1
    r = iv[I_N_ROWS]
    if r >= eng[E_ROWS].shape[0]:
        iv[I_STATUS] = STATUS_OVERFLOW
        return j
    row = eng[E_ROWS][r]
    row["ts_event"] = t
    row["seq"] = seq
    row["instrument"] = k
    row["side"] = side
    row["order_type"] = order_type
    row["tif"] = tif
    row["qty"] = qty
    row["price"] = price
    row["trigger"] = trigger
    row["trail"] = trail
    row["trail_unit"] = trail_unit
    row["flags"] = flags
    row["tag"] = tag
    row["parent"] = parent
    row["ts_expire"] = ts_expire
    row["source_line"] = source_line
    iv[I_N_ROWS] = r + 1
    return j


@hot(inline="always")
def finish(eng, ctx, j):
    """Marks row j done; it stops counting as open."""
    orders = eng[E_ORDERS]
    if orders[j]["status"] != ST_DONE:
        orders[j]["status"] = ST_DONE
        open_count(ctx, orders[j]["instrument"], -1.0)
        eng[E_IV][I_DONE_ROWS] += 1


@hot
def compact(ep):
    """Removes the rows marked done, keeping the rest in sequence order."""
    eng = load(ep)
    iv = eng[E_IV]
    orders = eng[E_ORDERS]
    n = iv[I_N_ORDERS]
    w = 0
    for j in range(n):
        if orders[j]["status"] != ST_DONE:
            if w != j:
                orders[w] = orders[j]
            w += 1
    iv[I_N_ORDERS] = w
    iv[I_DONE_ROWS] = 0


@hot
def cancel(ep, ctx, j, reason, t):
    """Cancels order row j: at once on the simulated venue; live, by asking the venue (once), whose answer
    (runtime/execution.py) ends the order, since it may fill meanwhile."""
    eng = load(ep)
    if eng[E_CFG][C_LIVE] == 1.0:
        o = eng[E_ORDERS][j]
        if o["status"] != ST_DONE and not o["flags"] & FLAG_CANCEL_SENT:
            o["flags"] |= FLAG_CANCEL_SENT
            o["ts_expire"] = NO_TIME
            log_event(ep, j, ORDER_PENDING_CANCEL, reason, t)
        return
    canceled(ep, ctx, j, reason, t)


@hot
def canceled(ep, ctx, j, reason, t):
    eng = load(ep)
    finish(eng, ctx, j)
    log_event(ep, j, ORDER_CANCELED, reason, t)


@hot(inline="always")
def is_open(o):
    return o["status"] == ST_PENDING or o["status"] == ST_WORKING


@hot(inline="always")
def expiry(eng, tif, expire_after, t):
    """When an order of this time in force stops being good: the last nanosecond it may fill."""
    if tif == TIF_GTD:
        return t + expire_after
    if tif == TIF_DAY:  # the end of the local calendar day it was sent on
        local = local_time(t, eng[E_TZ_AT], eng[E_TZ_OFF])
        return t - local % NS_PER_DAY + NS_PER_DAY - 1
    return NO_TIME


@hot
def next_action(ep):
    """Recomputes when `advance` must next run: the earliest arrival, cancel, expiry or delivery."""
    eng = load(ep)
    iv = eng[E_IV]
    orders = eng[E_ORDERS]
    best = NO_TIME
    for j in range(iv[I_N_ORDERS]):
        o = orders[j]
        if o["status"] == ST_PENDING:
            best = min(best, o["ts_active"])
        elif o["status"] == ST_WORKING:
            best = min(best, o["ts_cancel"])
            if o["ts_expire"] != NO_TIME:
                best = min(best, o["ts_expire"] + 1)
    if iv[I_Q_HEAD] < iv[I_Q_TAIL]:
        best = min(best, eng[E_QUEUE][iv[I_Q_HEAD], 0])
    iv[I_NEXT_ACTION] = best


# ---------------------------------------------------------------- fills
@hot(inline="always")
def fee_of(eng, k, qty, price, is_maker):
    spec = eng[E_SPEC]
    rate = spec[k, MAKER_FEE] if is_maker else spec[k, TAKER_FEE]
    fee = qty * price * spec[k, MULTIPLIER] * rate + qty * spec[k, FEE_PER_UNIT]
    if spec[k, FEE_MIN] > 0.0 and fee < spec[k, FEE_MIN]:
        fee = spec[k, FEE_MIN]
    return fee


@hot
def fill(ep, ctx, j, qty, price, is_maker, t):
    """Fills up to `qty` of order row j at `price`: books it, logs it, runs the contingencies. A reduce-only order
    fills at most the position it reduces (and is canceled when there is none). Returns the quantity filled."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    o = orders[j]
    k = o["instrument"]
    side = o["side"]
    if o["flags"] & FLAG_REDUCE_ONLY:
        pos = ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + POSITION]
        reducible = abs(pos) if pos * side < 0.0 else 0.0
        if reducible <= 0.0:
            cancel(ep, ctx, j, REDUCE_ONLY_WOULD_INCREASE, t)
            return 0.0
        qty = min(qty, reducible)
    return book_fill(ep, ctx, j, qty, price, fee_of(eng, k, qty, price, is_maker), is_maker, t)


@hot
def book_fill(ep, ctx, j, qty, price, fee, is_maker, t):
    """Books a fill of order row j (the simulated venue's, or one a real venue reported with its fee): position,
    cash, the fill log, the order's events and its contingent orders."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    o = orders[j]
    k = o["instrument"]
    side = o["side"]
    apply_fill(ep, ctx, k, side, qty, price, fee)
    o["filled"] += qty
    o["value"] += qty * price
    o["fees"] += fee
    iv = eng[E_IV]
    i = iv[I_N_FILLS]
    if i >= eng[E_FILLS].shape[0]:
        iv[I_STATUS] = STATUS_OVERFLOW
        return qty
    f = eng[E_FILLS][i]
    f["ts_event"] = t
    f["ts_recv"] = t
    f["instrument"] = k
    f["side"] = side
    f["qty"] = qty
    f["price"] = price
    f["fee"] = fee
    f["tag"] = o["tag"]
    f["is_maker"] = is_maker
    f["seq"] = o["seq"]
    f["rate"] = eng[E_ACCT][A_RATE + int(eng[E_SPEC][k, CURRENCY])]
    iv[I_N_FILLS] = i + 1
    if handled(eng, FILL_BIT):
        enqueue(ep, 2 * i, t)
    done = o["filled"] >= o["qty"] * (1.0 - 1e-12)
    if done:
        finish(eng, ctx, j)
    log_event(ep, j, ORDER_FILLED if done else ORDER_PARTIALLY_FILLED, NO_REASON, t)
    contingencies(ep, ctx, j, qty, t)
    return qty


@hot
def contingencies(ep, ctx, j, qty, t):
    """After order row j filled `qty`: a bracket entry opens (or grows) its stop-loss and take-profit legs; a filled
    bracket leg shrinks its sibling by as much (one-updates-other); an OCO order cancels the rest of its group."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    o = orders[j]
    seq = o["seq"]
    if o["stop_loss"] == o["stop_loss"] or o["take_profit"] == o["take_profit"]:
        grown = False
        for m in range(eng[E_IV][I_N_ORDERS]):
            c = orders[m]
            if c["parent"] == seq and is_open(c):
                c["qty"] += qty
                grown = True
                changed(ep, m, t)
        if not grown:
            group = -2 - seq  # bracket groups are negative, user OCO groups >= 0
            for leg in range(2):
                level = o["stop_loss"] if leg == 0 else o["take_profit"]
                if level != level:
                    continue
                iv = eng[E_IV]
                child = iv[I_ENGINE_SEQ]
                iv[I_ENGINE_SEQ] = child + 1
                r = new_row(ep, child, o["instrument"], -o["side"], qty, TYPE_STOP if leg == 0 else TYPE_LIMIT,
                            level if leg == 1 else math.nan, level if leg == 0 else math.nan, math.nan, 0, 0,
                            NO_TIME, FLAG_REDUCE_ONLY, o["tag"], group, seq, math.nan, math.nan, -1, t)
                if r >= 0:
                    open_count(ctx, o["instrument"], 1.0)
                    if eng[E_CFG][C_LIVE] == 1.0:
                        orders[r]["ts_active"] = NO_TIME  # sent with the next batch; working once the venue says so
                    else:
                        orders[r]["status"] = ST_WORKING  # the venue holds the legs: no submit latency
        return
    group = o["oco"]
    if group == NO_ID:
        return
    for m in range(eng[E_IV][I_N_ORDERS]):
        c = orders[m]
        if m == j or c["oco"] != group or not is_open(c):
            continue
        if group < -1:
            c["qty"] -= qty
            if c["qty"] <= c["filled"] + 1e-12 * qty:
                cancel(ep, ctx, m, NO_REASON, t)
            else:
                changed(ep, m, t)
        else:
            cancel(ep, ctx, m, NO_REASON, t)
