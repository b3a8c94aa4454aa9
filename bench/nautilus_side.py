"""NautilusTrader's half of bench/nautilus_compare.py: runs in its own virtual environment (nautilus_trader and the
numpy it brings; nothing of NTS), reads the events NTS ran on from DIR/*.npy and writes the fills to DIR/*.json.

    python bench/nautilus_side.py DIR

The strategies restate NTS's examples by hand, with TA-Lib's EMA (seeded with the mean of the first `length`
values, as NTS's `ema` is) and NTS's crossover (at or below, then above):
- bars: examples/ema_cross.nts on SPY daily bars, `target` = floor(equity * risk / close) shares on an up cross,
  flat on a down cross; equity is tracked from the fills (cash + shares x close), no fees;
- quotes: bench/ema_cross_quotes.nts on EUR/USD quote ticks, the EMAs on the mid, `qty` on an up cross, flat on a
  down cross; Nautilus's FX fees.
"""

from __future__ import annotations

import json
import math
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId, Symbol, TraderId, Venue
from nautilus_trader.model.instruments import Equity
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy


class Ema:
    """TA-Lib's EMA: the mean of the first `length` values, then alpha = 2 / (length + 1)."""

    def __init__(self, length: int):
        self.length, self.alpha, self.seen, self.total, self.value = length, 2.0 / (length + 1), 0, 0.0, math.nan

    def update(self, x: float) -> float:
        self.seen += 1
        if self.seen < self.length:
            self.total += x
        elif self.seen == self.length:
            self.value = (self.total + x) / self.length
        else:
            self.value += self.alpha * (x - self.value)
        return self.value


class Cross:
    """+1 on the update where fast goes from at or below slow to above it, -1 the other way, else 0."""

    def __init__(self):
        self.prev = None

    def update(self, fast: float, slow: float) -> int:
        prev, self.prev = self.prev, (fast, slow)
        if prev is None or any(math.isnan(v) for v in (*prev, fast, slow)):
            return 0
        return 1 if prev[0] <= prev[1] and fast > slow else -1 if prev[0] >= prev[1] and fast < slow else 0


class EmaCrossConfig(StrategyConfig, frozen=True):
    instrument_id: str
    bar_type: str = ""
    fast: int = 10
    slow: int = 30
    risk: float = 0.95
    qty: float = 0.0
    cash: float = 100_000.0


class EmaCross(Strategy):
    def __init__(self, config: EmaCrossConfig):
        super().__init__(config)
        self.instrument_id = InstrumentId.from_str(config.instrument_id)
        self.fast, self.slow, self.cross = Ema(config.fast), Ema(config.slow), Cross()
        self.position = 0.0
        self.cash = config.cash
        self.fills = []

    def on_start(self):
        if self.config.bar_type:
            self.subscribe_bars(BarType.from_str(self.config.bar_type))
        else:
            self.subscribe_quote_ticks(self.instrument_id)

    def on_bar(self, bar: Bar):
        close = bar.close.as_double()
        signal = self.cross.update(self.fast.update(close), self.slow.update(close))
        size = math.floor((self.cash + self.position * close) * self.config.risk / close)
        self.target(signal, size)

    def on_quote_tick(self, tick: QuoteTick):
        mid = 0.5 * (tick.bid_price.as_double() + tick.ask_price.as_double())
        self.target(self.cross.update(self.fast.update(mid), self.slow.update(mid)), self.config.qty)

    def target(self, signal: int, size: float):
        want = size if signal > 0 else 0.0 if signal < 0 else self.position
        delta = want - self.position
        if delta:
            side = OrderSide.BUY if delta > 0 else OrderSide.SELL
            instrument = self.cache.instrument(self.instrument_id)
            self.submit_order(self.order_factory.market(self.instrument_id, side,
                                                        instrument.make_qty(abs(delta))))

    def on_order_filled(self, event):
        side = 1 if event.order_side == OrderSide.BUY else -1
        qty, price = event.last_qty.as_double(), event.last_px.as_double()
        self.position += side * qty
        self.cash -= side * qty * price + event.commission.as_double()
        self.fills.append({"ts": event.ts_event, "side": side, "qty": qty, "price": price,
                           "fee": event.commission.as_double()})


def run(venue: str, account: AccountType, cash: float, instrument, data, config: EmaCrossConfig) -> list[dict]:
    engine = BacktestEngine(BacktestEngineConfig(trader_id=TraderId("COMPARE-001"),
                                                 logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(Venue(venue), oms_type=OmsType.NETTING, account_type=account, base_currency=USD,
                     starting_balances=[Money(cash, USD)])
    engine.add_instrument(instrument)
    engine.add_data(data)
    strategy = EmaCross(config)
    engine.add_strategy(strategy)
    engine.run()
    fills = strategy.fills
    engine.dispose()
    return fills


def bars_run(folder: Path, params: dict) -> list[dict]:
    bars = np.load(folder / "spy_bars.npy")
    spy = Equity(InstrumentId.from_str("SPY.ARCA"), Symbol("SPY"), USD, 4, Price.from_str("0.0001"),
                 Quantity.from_int(1), 0, 0, maker_fee=Decimal(0), taker_fee=Decimal(0))
    bar_type = BarType.from_str("SPY.ARCA-1-DAY-LAST-EXTERNAL")
    data = [Bar(bar_type, spy.make_price(b["open"]), spy.make_price(b["high"]), spy.make_price(b["low"]),
                spy.make_price(b["close"]), Quantity(b["volume"], 0), int(b["ts_event"]), int(b["ts_event"]))
            for b in bars]
    config = EmaCrossConfig(instrument_id="SPY.ARCA", bar_type=str(bar_type), cash=params["cash"], **params["ema"])
    return run("ARCA", AccountType.CASH, params["cash"], spy, data, config)


def quotes_run(folder: Path, params: dict) -> list[dict]:
    quotes = np.load(folder / "eurusd_quotes.npy")
    pair = TestInstrumentProvider.default_fx_ccy("EUR/USD", Venue("FXCM"))
    data = [QuoteTick(pair.id, pair.make_price(q["bid"]), pair.make_price(q["ask"]), Quantity(q["bid_size"], 0),
                      Quantity(q["ask_size"], 0), int(q["ts_event"]), int(q["ts_event"]))
            for q in quotes]
    config = EmaCrossConfig(instrument_id=str(pair.id), cash=params["cash"], **params["ema"])
    return run("FXCM", AccountType.MARGIN, params["cash"], pair, data, config)


def main(folder: Path) -> None:
    params = json.loads((folder / "params.json").read_text())
    out = {"bars": bars_run(folder, params["bars"]), "quotes": quotes_run(folder, params["quotes"])}
    (folder / "nautilus_fills.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
