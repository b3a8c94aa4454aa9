"""Instrument specifications: what the simulated venue enforces and how a position is valued.

An `Instrument` is a pydantic model; the engine reads them as one float64 row each (`spec_rows`), so compiled code
indexes columns with the constants below. A quantity or price rule of 0 is not enforced.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# How a position is carried. Cash-settled kinds (spot, equity, fx) move cash by the traded notional; futures and
# perpetuals move it only by realized PnL and fees (the position is worth its unrealized PnL).
KINDS = ("spot", "equity", "fx", "perpetual", "future")
SETTLES_CASH = (True, True, True, False, False)

TICK = 0
LOT = 1
MIN_QTY = 2
MIN_NOTIONAL = 3
MULTIPLIER = 4
MAKER_FEE = 5      # rate of the notional; negative is a rebate
TAKER_FEE = 6
FEE_PER_UNIT = 7   # per unit of quantity (per share, per contract)
FEE_MIN = 8        # the least fee of one fill
MARGIN_INIT = 9    # fraction of the notional held to open (1 / leverage)
MARGIN_MAINT = 10  # fraction of the notional below which equity triggers liquidation
CASH_SETTLED = 11  # 1.0 for spot, equity, fx
MAX_POSITION = 12  # risk: the largest absolute position; 0 = no limit
CURRENCY = 13      # the account's currency table index of the instrument's currency (prices, PnL, fees)
PAIR = 14          # an FX pair AAABBB quoted in its currency BBB: the table index of AAA (its mark prices AAA); -1
SPEC_COLS = 15


class Instrument(BaseModel):
    """One tradable instrument as the simulated venue sees it."""

    model_config = ConfigDict(extra="forbid")

    symbol: str
    kind: Literal["spot", "equity", "fx", "perpetual", "future"] = "equity"
    currency: str = "USD"
    tick_size: float = Field(0.0, ge=0)
    lot_size: float = Field(0.0, ge=0)
    min_qty: float = Field(0.0, ge=0)
    min_notional: float = Field(0.0, ge=0)
    multiplier: float = Field(1.0, gt=0)
    maker_fee: float = 0.0
    taker_fee: float = 0.0
    fee_per_unit: float = Field(0.0, ge=0)
    fee_min: float = Field(0.0, ge=0)
    margin_init: float = Field(1.0, gt=0)
    margin_maint: float = Field(0.0, ge=0)
    max_position: float = Field(0.0, ge=0)

    def row(self) -> np.ndarray:
        row = np.zeros(SPEC_COLS)
        row[TICK], row[LOT], row[MIN_QTY], row[MIN_NOTIONAL] = (self.tick_size, self.lot_size, self.min_qty,
                                                                 self.min_notional)
        row[MULTIPLIER], row[MAKER_FEE], row[TAKER_FEE] = self.multiplier, self.maker_fee, self.taker_fee
        row[FEE_PER_UNIT], row[FEE_MIN] = self.fee_per_unit, self.fee_min
        row[MARGIN_INIT], row[MARGIN_MAINT] = self.margin_init, self.margin_maint
        row[CASH_SETTLED] = 1.0 if SETTLES_CASH[KINDS.index(self.kind)] else 0.0
        row[MAX_POSITION] = self.max_position
        row[PAIR] = -1.0
        return row

    def pair_currency(self) -> str | None:
        """AAA of an FX pair `AAABBB.VENUE` (or `AAA/BBB.VENUE`) quoted in BBB, its currency."""
        root = "".join(c for c in self.symbol.rpartition(".")[0] or self.symbol if c.isalpha()).upper()
        if self.kind == "fx" and len(root) == 6 and root[3:] == self.currency.upper():
            return root[:3]
        return None


# Venues whose symbols default to crypto spot (8-decimal lots) rather than US equities (whole shares, cent ticks).
_CRYPTO_VENUES = {"COINBASE", "BINANCE", "KRAKEN", "BITSTAMP", "BYBIT", "OKX", "BITFINEX", "GDAX"}
_FUTURES_VENUES = {"XCME", "GLBX", "CME", "CBOT", "NYMEX", "COMEX", "ICE", "EUREX", "XEUR"}


def default_instrument(symbol: str) -> Instrument:
    """A usable specification from the symbol alone (`SPY.ARCA`, `BTCUSD.COINBASE`, `BTCUSDT-PERP.BINANCE`): the
    venue suffix picks the kind. Futures have no safe default multiplier, so theirs is 1 until given."""
    name, _, venue = symbol.rpartition(".")
    venue = venue.upper()
    if venue in _CRYPTO_VENUES:
        kind = "perpetual" if name.upper().endswith("PERP") else "spot"
        return Instrument(symbol=symbol, kind=kind, tick_size=0.01, lot_size=1e-8)
    if venue in _FUTURES_VENUES:
        return Instrument(symbol=symbol, kind="future")
    if venue in {"FXCM", "OANDA", "IDEALPRO"}:
        return Instrument(symbol=symbol, kind="fx", tick_size=1e-5, lot_size=1.0)
    return Instrument(symbol=symbol, kind="equity", tick_size=0.01, lot_size=1.0)


def spec_rows(instruments: list[Instrument], currencies: list[str] | None = None) -> np.ndarray:
    """The engine's rows; `currencies` is the account's currency table (the base currency first)."""
    rows = np.array([i.row() for i in instruments], dtype=np.float64).reshape(len(instruments), SPEC_COLS)
    for row, instrument in zip(rows, instruments):
        if currencies:
            row[CURRENCY] = currencies.index(instrument.currency)
            pair = instrument.pair_currency()
            row[PAIR] = currencies.index(pair) if pair in currencies else -1.0
    return rows
