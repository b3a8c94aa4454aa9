"""The simulated venue's matching, compiled: resting orders against bars (an intrabar price path) and against books
(an order book stream's levels, or a quote or trade print as the top level).

Prices are handled as seen by a buyer: a sell order's prices are negated (`x = side * price`), so "a buy limit fills
at or below L" also reads "a sell limit fills at or above L", and each rule is written once.

Bars. A bar is walked as a path: open -> the nearer of high and low (high on a tie) -> the other -> close. The open
is a gap from the last price: what the open crosses fills there, as a taker. Along each leg, orders fill where the
path reaches their price, earliest first, and a fill can start or cancel other orders (bracket legs, OCO) from that
point on. A limit fills at its price, as a maker, when the path goes through it; when the path only touches it, it
fills with the touch probability. Stops, market-if-touched and trailing stops fill at their trigger, as takers,
with the configured slippage, never outside the bar's range. Every fill on a bar carries the bar's time.

Quotes, trades and books. A quote or a trade print is the top level of a book (a print is both sides); an order
book stream gives every level. A buy takes the asks from the best up (a sell the bids), as much as each level shows
when sizes are on, the rest staying working; a limit stops at its price. A limit that arrives marketable fills
against the book as a taker at each level's price; a resting one fills at its own price, as a maker, once the book
crosses it, as much as the levels that cross it show (on a touch, with the touch probability). Liquidity one fill
takes is gone for the other orders of the same event. Taker fills carry the configured slippage.

IOC and FOK orders get one chance: the quote they arrive at (or the next one), or the next bar's open; what is left
is canceled. FOK fills entirely in that chance or not at all.
"""

from __future__ import annotations

import math

from .engine_state import (BK_ASK, BK_ASK_SIZE, BK_ASK_TAKEN, BK_BID, BK_BID_SIZE, BK_BID_TAKEN, C_L1_SIZE,
                           C_SLIPPAGE_TICKS, C_TOUCH_PROB, E_BOOK, E_CFG, E_IV, E_MARKET, E_ORDERS, E_SPEC, I_N_ORDERS,
                           M_BAR_HIGH, M_BAR_LOW, ST_WORKING)
from .events import NO_REASON, ORDER_TRIGGERED
from .instruments import TICK
from .intents import (FLAG_POST_ONLY, TIF_FOK, TIF_IOC, TRAIL_PERCENT, TRAIL_TICKS, TYPE_LIMIT, TYPE_LIMIT_IF_TOUCHED, TYPE_MARKET,
                      TYPE_MARKET_IF_TOUCHED, TYPE_STOP, TYPE_STOP_LIMIT, TYPE_TRAILING)
from .engine_ref import load
from .jit import hot
from .orders import cancel, fill, log_event, rand

NONE = 0
TAKER = 1
MAKER = 2
TOUCH = 3
TRIGGER = 4


@hot(inline="always")
def limit_like(o):
    t = o["order_type"]
    return t == TYPE_LIMIT or ((t == TYPE_STOP_LIMIT or t == TYPE_LIMIT_IF_TOUCHED) and o["triggered"])


@hot(inline="always")
def trail_level(o, tick):
    """A trailing stop's trigger, as a buyer sees it: the best price since it started plus the distance."""
    s = o["side"]
    ref = o["trail_ref"]
    unit = o["trail_unit"]
    if unit == TRAIL_TICKS:
        d = o["trail"] * tick
    elif unit == TRAIL_PERCENT:
        d = abs(ref) * o["trail"] / 100.0
    else:
        d = o["trail"]
    return s * ref + d


@hot(inline="always")
def follow(o, p):
    """A trailing stop's reference moves with the price in its favour: the lowest seen for a buy, highest for a sell."""
    s = o["side"]
    if o["trail_ref"] != o["trail_ref"] or s * p < s * o["trail_ref"]:
        o["trail_ref"] = p


@hot
def hit(o, a, b, tick):
    """Where order `o` first acts on the monotone leg a -> b: (what it does, at which price)."""
    s = o["side"]
    x = s * a
    y = s * b
    t = o["order_type"]
    if t == TYPE_MARKET:
        return TAKER, a
    if t == TYPE_TRAILING:
        level = trail_level(o, tick)
        if x >= level:
            return TAKER, a
        if y >= level:
            return TAKER, s * level
        return NONE, math.nan
    if limit_like(o):
        limit = s * o["price"]
        if x <= limit:
            return TAKER, a
        if y < limit:
            return MAKER, s * limit
        if y == limit:
            return TOUCH, s * limit
        return NONE, math.nan
    trigger = s * o["trigger"]
    act = TAKER if (t == TYPE_STOP or t == TYPE_MARKET_IF_TOUCHED) else TRIGGER
    if t == TYPE_STOP or t == TYPE_STOP_LIMIT:
        if x >= trigger:
            return act, a
        if y >= trigger:
            return act, s * trigger
    else:  # market / limit if touched: triggered from above (a buyer's view)
        if x <= trigger:
            return act, a
        if y <= trigger:
            return act, s * trigger
    return NONE, math.nan


@hot(inline="always")
def slipped(eng, o, p, tick):
    return p + o["side"] * eng[E_CFG][C_SLIPPAGE_TICKS] * tick


@hot
def walk(ep, ctx, k, a, b, t, tick):
    """Runs the leg a -> b of a bar's path over instrument k's working orders, earliest action first."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    market = eng[E_MARKET]
    cfg = eng[E_CFG]
    while True:
        best = -1
        best_d = math.inf
        best_act = NONE
        best_p = math.nan
        for j in range(eng[E_IV][I_N_ORDERS]):
            o = orders[j]
            if o["status"] != ST_WORKING or o["instrument"] != k or o["touch_skip"] == t:
                continue
            if o["order_type"] == TYPE_TRAILING:
                follow(o, a)
            act, p = hit(o, a, b, tick)
            if act != NONE and abs(p - a) < best_d:
                best, best_d, best_act, best_p = j, abs(p - a), act, p
        if best < 0:
            break
        o = orders[best]
        if best_act == TRIGGER:
            o["triggered"] = True
            log_event(ep, best, ORDER_TRIGGERED, NO_REASON, t)
        elif best_act == TOUCH and rand(eng) >= cfg[C_TOUCH_PROB]:
            o["touch_skip"] = t  # missed at this touch: not again on this bar
        elif best_act == TAKER:
            price = min(max(slipped(eng, o, best_p, tick), market[k, M_BAR_LOW]), market[k, M_BAR_HIGH])
            fill(ep, ctx, best, o["qty"] - o["filled"], price, (o["flags"] & FLAG_POST_ONLY) != 0, t)
        else:
            fill(ep, ctx, best, o["qty"] - o["filled"], best_p, True, t)
        a = best_p
    for j in range(eng[E_IV][I_N_ORDERS]):
        o = orders[j]
        if o["status"] == ST_WORKING and o["instrument"] == k and o["order_type"] == TYPE_TRAILING:
            follow(o, b)


@hot
def one_chance_over(ep, ctx, k, t):
    """Cancels what is left of instrument k's IOC and FOK orders: they had their chance."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    for j in range(eng[E_IV][I_N_ORDERS]):
        o = orders[j]
        if o["status"] == ST_WORKING and o["instrument"] == k and (o["tif"] == TIF_IOC or o["tif"] == TIF_FOK):
            cancel(ep, ctx, j, NO_REASON, t)


@hot
def match_bar(ep, ctx, k, open_, high, low, close, t):
    """Instrument k's working orders against one bar (the path rule above)."""
    eng = load(ep)
    market = eng[E_MARKET]
    market[k, M_BAR_LOW] = low
    market[k, M_BAR_HIGH] = high
    tick = eng[E_SPEC][k, TICK]
    if high - open_ <= open_ - low:
        first, second = high, low
    else:
        first, second = low, high
    walk(ep, ctx, k, open_, open_, t, tick)
    one_chance_over(ep, ctx, k, t)
    if working(eng, k):  # most often a market order filled at the open, and nothing is left to walk
        walk(ep, ctx, k, open_, first, t, tick)
        walk(ep, ctx, k, first, second, t, tick)
        walk(ep, ctx, k, second, close, t, tick)


@hot(inline="always")
def working(eng, k):
    """Whether instrument k has a working order."""
    orders = eng[E_ORDERS]
    for j in range(eng[E_IV][I_N_ORDERS]):
        if orders[j]["status"] == ST_WORKING and orders[j]["instrument"] == k:
            return True
    return False


@hot
def match_at(ep, ctx, j, price, t):
    """Order row j against a single price (an order placed on a bar's close, with fill-on-close)."""
    eng = load(ep)
    k = eng[E_ORDERS][j]["instrument"]
    market = eng[E_MARKET]
    market[k, M_BAR_LOW] = price
    market[k, M_BAR_HIGH] = price
    walk(ep, ctx, k, price, price, t, eng[E_SPEC][k, TICK])


@hot
def match_book(ep, ctx, k, t, only, arriving):
    """Instrument k's working orders (only row `only` when >= 0) against its book (E_BOOK: a quote or trade print is
    its level 0). `arriving`: the order reaches the venue now, so a marketable limit takes liquidity."""
    eng = load(ep)
    orders = eng[E_ORDERS]
    cfg = eng[E_CFG]
    book = eng[E_BOOK][k]
    tick = eng[E_SPEC][k, TICK]
    for m in range(book.shape[0]):  # each event's liquidity is taken once
        book[m, BK_BID_TAKEN] = 0.0
        book[m, BK_ASK_TAKEN] = 0.0
    lo = 0 if only < 0 else only
    hi = eng[E_IV][I_N_ORDERS] if only < 0 else only + 1
    for j in range(lo, hi):
        o = orders[j]
        if o["status"] != ST_WORKING or o["instrument"] != k or o["ts_active"] > t:
            continue
        s = o["side"]
        px, sz, taken = (BK_ASK, BK_ASK_SIZE, BK_ASK_TAKEN) if s > 0 else (BK_BID, BK_BID_SIZE, BK_BID_TAKEN)
        p = book[0, px]
        if p != p or (cfg[C_L1_SIZE] == 1.0 and book[0, sz] - book[0, taken] <= 0.0):
            continue
        x = s * p
        ot = o["order_type"]
        act = NONE
        fresh = arriving
        if ot == TYPE_MARKET:
            act = TAKER
        elif ot == TYPE_TRAILING:
            follow(o, p)
            if x >= trail_level(o, tick):
                act = TAKER
        elif not limit_like(o):
            trigger = s * o["trigger"]
            up = ot == TYPE_STOP or ot == TYPE_STOP_LIMIT
            if (up and x >= trigger) or (not up and x <= trigger):
                if ot == TYPE_STOP or ot == TYPE_MARKET_IF_TOUCHED:
                    act = TAKER
                else:
                    o["triggered"] = True
                    log_event(ep, j, ORDER_TRIGGERED, NO_REASON, t)
                    fresh = True  # the limit it becomes arrives now
        limit = math.inf
        if act == NONE and limit_like(o):
            limit = s * o["price"]
            if fresh and x <= limit:
                act = TAKER
            elif x < limit:
                act = MAKER
            elif x == limit:
                act = TOUCH
        if act == NONE:
            continue
        if act == TOUCH:
            if rand(eng) >= cfg[C_TOUCH_PROB]:
                continue
            act = MAKER
        remaining = o["qty"] - o["filled"]
        if o["tif"] == TIF_FOK and available(eng, book, s, limit) < remaining:
            cancel(ep, ctx, j, NO_REASON, t)
            continue
        maker = act == MAKER or (o["flags"] & FLAG_POST_ONLY) != 0
        for m in range(book.shape[0]):  # a taker walks the levels up to its limit; a maker takes what crosses it
            level = book[m, px]
            left = book[m, sz] - book[m, taken] if cfg[C_L1_SIZE] == 1.0 else math.inf
            if level != level or s * level > limit or remaining <= 0.0 or o["status"] != ST_WORKING:
                break
            if left <= 0.0:
                continue
            price = o["price"] if act == MAKER else slipped(eng, o, level, tick)
            done = fill(ep, ctx, j, min(remaining, left), price, maker, t)
            book[m, taken] += done
            remaining -= done
            if cfg[C_L1_SIZE] != 1.0:
                break  # sizes off: all at the best level
    if only < 0:
        one_chance_over(ep, ctx, k, t)


@hot(inline="always")
def available(eng, book, s, limit):
    """What side s can take from the book at prices no worse than `limit` (buyer's view)."""
    if eng[E_CFG][C_L1_SIZE] != 1.0:
        return math.inf
    px, sz, taken = (BK_ASK, BK_ASK_SIZE, BK_ASK_TAKEN) if s > 0 else (BK_BID, BK_BID_SIZE, BK_BID_TAKEN)
    total = 0.0
    for m in range(book.shape[0]):
        level = book[m, px]
        if level != level or s * level > limit:
            break
        total += max(book[m, sz] - book[m, taken], 0.0)
    return total

