"""Queries of the strategy's context: portfolio, orders and the clock. Valid in handlers, not in series or functions."""

from pydantic import BaseModel

from .signature import declare

M = __name__.rsplit(".", 1)[-1]

declare("position", "instrument: value instrument", "float",
        "Signed net position in `instrument` (positive long, negative short).", module=M)
declare("avg_price", "instrument: value instrument", "float",
        "Average entry price of the open position in `instrument`; na when flat.", module=M)
declare("unrealized_pnl", "instrument: value instrument", "float",
        "Unrealized PnL of the open position in `instrument`, at the last price, in the account currency.",
        module=M)
declare("realized_pnl", "instrument: value instrument", "float",
        "Realized PnL of `instrument` since the start, after fees, in the account currency.", module=M)
declare("open_orders", "instrument: value instrument", "int", "Number of open orders on `instrument`.", module=M)


class ContextValue(BaseModel):
    name: str
    type: str
    doc: str


# Names that read the context without a call.
VALUES: dict[str, ContextValue] = {v.name: v for v in [
    ContextValue(name="equity", type="float", doc="Account equity: cash plus the value of open positions."),
    ContextValue(name="cash", type="float", doc="Account cash in the account currency."),
    ContextValue(name="time", type="timestamp", doc="The current event's timestamp (UTC nanoseconds)."),
    ContextValue(name="bar_index", type="int",
                 doc="Index of the current bar of the handler's stream, 0 for the first (`on bar` handlers only)."),
]}
