"""The engine's state: flat arrays shared by the compiled venue, risk engine and portfolio.

One run's engine state is the tuple `eng` below (indices E_*), passed whole to compiled code; scalars live in the
`iv` (int64) and `acct`/`cfg` (float64) arrays at the indices named here. The strategy's context array (`ctx`,
runtime/context.py) is the portfolio's own storage for what a handler may read: equity, cash, and each instrument's
position, average price, PnL and open orders.

Output logs (fills, order events, submitted orders, equity samples) are chunk buffers: the compiled loop returns to
Python before they can overflow, Python copies out what they hold and resets their counts, and the loop resumes.
"""

from __future__ import annotations

import numpy as np

from .events import FILL_DTYPE, ORDER_DTYPE

# ---------------------------------------------------------------- the order table
# status of a row of the order table
ST_PENDING = 1    # sent, not yet at the venue (submit latency)
ST_WORKING = 2    # at the venue
ST_DONE = 3       # filled, canceled, expired or rejected: removed at the next compaction

ORDER_TABLE_DTYPE = np.dtype([
    ("seq", np.int64), ("instrument", np.int32), ("side", np.int8), ("order_type", np.int8), ("tif", np.int8),
    ("status", np.int8), ("triggered", np.bool_), ("qty", np.float64), ("filled", np.float64),
    ("price", np.float64), ("trigger", np.float64), ("trail", np.float64), ("trail_unit", np.int8),
    ("trail_ref", np.float64), ("flags", np.int32), ("tag", np.int32), ("oco", np.int64), ("parent", np.int64),
    ("stop_loss", np.float64), ("take_profit", np.float64), ("ts_active", np.int64), ("ts_expire", np.int64),
    ("ts_cancel", np.int64), ("touch_skip", np.int64), ("value", np.float64), ("fees", np.float64),
])

# One row per order sent: what was asked (the orders report joins its events and fills to it).
ORDER_ROW_DTYPE = np.dtype([
    ("ts_event", np.int64), ("seq", np.int64), ("instrument", np.int32), ("side", np.int8), ("order_type", np.int8),
    ("tif", np.int8), ("qty", np.float64), ("price", np.float64), ("trigger", np.float64), ("trail", np.float64),
    ("trail_unit", np.int8), ("flags", np.int32), ("tag", np.int32), ("parent", np.int64),
    ("ts_expire", np.int64), ("source_line", np.int32),
])

NO_TIME = np.iinfo(np.int64).max

# ---------------------------------------------------------------- eng tuple indices
E_ORDERS = 0      # ORDER_TABLE_DTYPE[max_orders]: open orders, in sequence order, rows 0..iv[N_ORDERS)
E_SPEC = 1        # float64[n_instruments, SPEC_COLS] (runtime/instruments.py)
E_MARKET = 2      # float64[n_instruments, MARKET_COLS]
E_ACCT = 3        # float64[ACCT_COLS]
E_CFG = 4         # float64[CFG_COLS]
E_IV = 5          # int64[IV_COLS]
E_FILLS = 6       # FILL_DTYPE[chunk]
E_EVENTS = 7      # ORDER_DTYPE[chunk]: order events
E_ROWS = 8        # ORDER_ROW_DTYPE[chunk]: orders sent
E_EQ_TS = 9       # int64[samples]: equity sample times (empty when the run takes them from the data)
E_EQ = 10         # float64[samples, EQ_COLS]
E_QUEUE = 11      # int64[queue, 2]: (deliver at, item) of fills and order events the strategy handles
E_SUBMITS = 12    # int64[rate]: recent submit times, a ring, for the submit rate limit
E_TZ_AT = 13      # the strategy's time zone (ops.zone_table), for `day` orders and daily loss
E_TZ_OFF = 14
E_LIMITS = 15     # float64[LIMIT_COLS]: the risk limits
E_LOG_TS = 16     # int64[chunk]: when each strategy log message was written
E_LOGS = 17       # float64[chunk, log columns]: the messages (template id and values, runtime/strategy.py)
E_RECORDS = 18    # float64[chunk, n records]: every `record` value at each equity sample
E_BOOK = 19       # float64[n_instruments, depth, BOOK_COLS]: the book orders are matched against, best level first
E_EQ_PRICE = 20   # float64[samples]: the mark of the instrument the curve is sampled on (empty, as E_EQ_TS)
N_ENG = 21

# book[k, level, ...]: a quote or a trade print is level 0 of a book; an order book stream fills its depth. A level
# with no size is empty. TAKEN is what this event's fills have already taken from the level.
BK_BID = 0
BK_BID_SIZE = 1
BK_ASK = 2
BK_ASK_SIZE = 3
BK_BID_TAKEN = 4
BK_ASK_TAKEN = 5
BOOK_COLS = 6

# market[k, ...]: what the venue last saw of instrument k
M_BID = 0
M_ASK = 1
M_BID_SIZE = 2
M_ASK_SIZE = 3
M_MARK = 4         # the price positions are valued at: bar close, quote mid, last trade
M_MODE = 5         # how orders on k are matched: MODE_*
M_SEEN = 6         # 1 once any market data of k has arrived
M_BAR_LOW = 7      # the current bar's low and high (fills on a bar must lie within them)
M_BAR_HIGH = 8
MARKET_COLS = 9

MODE_BARS = 0
MODE_QUOTES = 1
MODE_TRADES = 2

# acct[...]: what the risk engine tracks of equity (fees, turnover and PnL are in the fills)
A_PEAK = 0          # highest equity so far
A_DAY_START = 1     # equity at the start of the current day (strategy time zone)
MAX_CURRENCIES = 8  # the account's currencies, the base first (an array of its own would slow every engine call)
A_RATE = 2          # A_RATE + c: what one unit of currency c is worth in the base currency
A_BALANCE = A_RATE + MAX_CURRENCIES  # A_BALANCE + c: the account's cash in currency c
A_CURRENCIES = A_BALANCE + MAX_CURRENCIES  # how many of the slots are in use (valuing cash loops over only those)
ACCT_COLS = A_CURRENCIES + 1

# cfg[...]
C_FILL_ON_CLOSE = 0   # 1: a bar-matched order placed on a bar fills at that bar's close, not the next open
C_TOUCH_PROB = 1      # probability that a limit order fills when the price only touches its limit
C_SLIPPAGE_TICKS = 2  # ticks of adverse slippage on market, stop and marketable fills (taker fills)
C_SUBMIT_NS = 3       # latencies, ns: order to venue, venue to strategy (acks and fills), cancel to venue
C_ACK_NS = 4
C_CANCEL_NS = 5
C_JITTER_NS = 6       # mean of an exponential delay added to each latency (0: constant latencies)
C_HANDLED = 7         # bit mask of what the strategy handles: 1 << ORDER kind, 1 << FILL_BIT for fills
C_ROUND = 8           # 1: prices rounded to the tick (passive side) and quantities down to the lot; 0: rejected
C_L1_SIZE = 9         # 1: a fill on quotes or trades takes at most the size shown there
C_LIVE = 10           # 1: orders go to a real venue (runtime/live.py), which reports back; nothing is simulated
CFG_COLS = 11
FILL_BIT = 15

# iv[...]
I_N_ORDERS = 0
I_N_FILLS = 1
I_N_EVENTS = 2
I_N_ROWS = 3
I_N_EQ = 4
I_Q_HEAD = 5
I_Q_TAIL = 6
I_NEXT_ACTION = 7     # the earliest pending arrival, cancel or expiry: when `advance` must run
I_RNG = 8             # xorshift64* state
I_ENGINE_SEQ = 9      # ids of orders the engine creates (bracket legs, liquidations)
I_TRADING_STATE = 10  # TS_*
I_SUBMIT_POS = 11
I_DAY = 12            # the current day (local), for the daily loss limit
I_STATUS = 13         # why the loop stopped: STATUS_*
I_DONE_ROWS = 14      # order rows marked ST_DONE, not yet compacted
I_CASCADE = 15        # handler calls at the current time: a loop guard
I_CASCADE_AT = 16
I_DAY_END = 17        # when the current local day ends (UTC ns)
I_N_LOG = 18
I_LOGS_DROPPED = 19   # strategy log messages that did not fit a chunk
I_STATE_CAUSE = 20    # what set the trading state: CAUSE_*
I_SAMPLE_AT = 21      # the time of the last equity sample
IV_COLS = 22

TS_ACTIVE = 0
TS_REDUCING = 1
TS_HALTED = 2
TRADING_STATES = ("active", "reducing", "halted")
CAUSE_USER = 0
CAUSE_DAILY_LOSS = 1
CAUSE_DRAWDOWN = 2

STATUS_RUNNING = 0
STATUS_DONE = 1
STATUS_CHUNK = 2          # an output buffer is nearly full: drain it and call again
STATUS_TOO_MANY_ORDERS = 3
STATUS_RUNAWAY = 4        # the strategy kept answering its own events at one instant
STATUS_OVERFLOW = 5       # an output buffer overflowed between two points where it could be drained
STATUS_MESSAGES = ("running", "done", "chunk", "more open orders than the order table holds",
                   "the strategy kept answering its own fills and order events at one instant (a loop?)",
                   "an output buffer overflowed: more fills or order events at one instant than a chunk holds")

# limits[...]: risk limits (0 = none)
L_MAX_ORDER_QTY = 0
L_MAX_ORDER_NOTIONAL = 1
L_MAX_OPEN_ORDERS = 2
L_MAX_SUBMIT_RATE = 3     # orders per second
L_PRICE_BAND = 4          # fraction: a limit or trigger further than this from the mark is denied
L_MAX_DAILY_LOSS = 5      # currency: equity below the day's start by more switches to reducing
L_MAX_DRAWDOWN = 6        # fraction below the peak that switches to reducing
LIMIT_COLS = 7

EQ_EQUITY = 0
EQ_CASH = 1
EQ_EXPOSURE = 2  # gross exposure, currency
EQ_COLS = 3

MAX_CASCADE = 1_000_000


def new_engine(spec: np.ndarray, modes: np.ndarray, cfg: np.ndarray, limits: np.ndarray, tz: tuple, seed: int,
               log_columns: int, n_records: int, trading_state: int = TS_ACTIVE, chunk: int = 1 << 16,
               max_orders: int = 4096, samples: int = 0, book_depth: int = 1, rates: np.ndarray | None = None,
               cash: float = 0.0, sample_times: bool = True) -> tuple:
    """The engine's arrays. Logs are buffers of `chunk` rows, drained between calls; the equity and record
    samples have room for `samples` (at least a chunk), so that a run that knows how many it can take keeps them
    where they are written, with no copy (the pages never written are never touched). `sample_times`: the samples
    keep their time and price; a run whose curve is sampled on every event of an array it holds takes them from
    that array instead."""
    n = spec.shape[0]
    samples = max(samples + 3, chunk)  # buffers_full (runtime/loop.py) calls the sample buffers full 2 rows early
    market = np.zeros((n, MARKET_COLS))
    market[:, :M_MARK + 1] = np.nan
    market[:, M_MODE] = modes
    market[:, M_BAR_LOW] = np.nan
    market[:, M_BAR_HIGH] = np.nan
    iv = np.zeros(IV_COLS, np.int64)
    iv[I_NEXT_ACTION] = NO_TIME
    iv[I_RNG] = (seed * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D) % (1 << 63) or 1
    iv[I_ENGINE_SEQ] = 1 << 40
    iv[I_DAY] = np.iinfo(np.int64).min
    iv[I_DAY_END] = np.iinfo(np.int64).min
    iv[I_TRADING_STATE] = trading_state
    iv[I_SAMPLE_AT] = np.iinfo(np.int64).min
    rate = max(int(limits[L_MAX_SUBMIT_RATE]), 1)
    submits = np.full(rate, np.iinfo(np.int64).min, np.int64)
    book = np.zeros((n, max(book_depth, 1), BOOK_COLS))
    book[:, :, BK_BID] = book[:, :, BK_ASK] = np.nan
    acct = np.zeros(ACCT_COLS)
    rates = np.ones(1) if rates is None else np.asarray(rates, np.float64)
    acct[A_RATE:A_RATE + len(rates)] = rates
    acct[A_BALANCE] = cash
    acct[A_CURRENCIES] = len(rates)
    return (np.zeros(max_orders, ORDER_TABLE_DTYPE), spec.astype(np.float64), market, acct,
            cfg.astype(np.float64), iv, np.zeros(chunk, FILL_DTYPE), np.zeros(2 * chunk, ORDER_DTYPE),
            np.zeros(chunk, ORDER_ROW_DTYPE), np.zeros(samples if sample_times else 0, np.int64),
            np.zeros((samples, EQ_COLS)),
            np.zeros((chunk, 2), np.int64), submits, tz[0], tz[1], limits.astype(np.float64),
            np.zeros(chunk, np.int64), np.zeros((chunk, max(log_columns, 1))), np.zeros((samples, max(n_records, 1))),
            book, np.zeros(samples if sample_times else 0))
