"""Brackets sent as one venue order list (Binance's OTO and OTOCO): a limit entry and its exits (a stop-loss and a
take-profit, one cancelling the other) reach the venue together, and the venue places the exits the moment the
entry fills. Sent one by one instead, the exits would work only once the entry's fill had come back and they had
been sent, and on a spot account each would hold the position it sells.

The engine numbers a bracket's exits when its entry fills (runtime/orders.contingencies); the list names them
when the entry is sent: `<entry's client id>-sl` and `-tp`. `OrderLists` keeps the two apart: the client id of each
engine order, and the engine order of each client id the venue reports on.
"""

from __future__ import annotations

import math

from .intents import TIF_FOK, TIF_IOC, TYPE_LIMIT, TYPE_STOP

SUFFIX = {TYPE_STOP: "sl", TYPE_LIMIT: "tp"}  # an exit's engine order type -> its client id's suffix


def exits_of(row) -> dict[str, float]:
    """The exits an order opens when it fills, when it can be sent with them as one order list: a resting limit
    entry (not IOC or FOK; a `day` or `gtd` one is sent GTC and canceled when it expires) with a stop-loss, a
    take-profit or both ({"sl": price, "tp": price}); {} otherwise."""
    if int(row["order_type"]) != TYPE_LIMIT or int(row["tif"]) in (TIF_IOC, TIF_FOK):
        return {}
    return {name: float(row[field]) for name, field in (("sl", "stop_loss"), ("tp", "take_profit"))
            if not math.isnan(float(row[field]))}


class OrderLists:
    def __init__(self, sid: str):
        self.sid = sid
        self.entries: dict[int, dict[str, float]] = {}  # entry seq -> its exits, for the entries sent as lists
        self.cid_of: dict[int, str] = {}  # exit seq -> its client id
        self.seq_of: dict[str, int] = {}  # and back
        self.early: dict[str, list] = {}  # client id -> reports about an exit the engine has not opened yet

    def entry(self, seq: int, exits: dict[str, float]) -> None:
        self.entries[seq] = exits

    def is_exit(self, parent: int) -> bool:
        """Whether an order with this parent is the exit of an entry sent as a list."""
        return parent in self.entries

    def open_exit(self, seq: int, parent: int, order_type: int) -> tuple[str, list]:
        """The engine opened exit `seq` of entry `parent`: its client id, and the reports about it that came
        before (to feed now)."""
        cid = f"{self.sid}-{parent}-{SUFFIX[order_type]}"
        self.cid_of[seq], self.seq_of[cid] = cid, seq
        return cid, self.early.pop(cid, [])

    def cid(self, seq: int) -> str:
        return self.cid_of.get(seq) or f"{self.sid}-{seq}"

    def seq(self, cid: str) -> int | None:
        """The engine order a client id names; None for another strategy's, or an exit not opened yet (`wait`)."""
        if cid in self.seq_of:
            return self.seq_of[cid]
        prefix, _, number = cid.rpartition("-")
        return int(number) if prefix == self.sid and number.isdigit() else None

    def wait(self, cid: str, report) -> bool:
        """Keeps a report about an exit whose entry's fill the engine has not been fed yet (the venue reports the
        exits it places right after the fill, on another stream); True when it was one."""
        prefix, _, suffix = cid.rpartition("-")
        entry = prefix.rpartition("-")
        if suffix not in SUFFIX.values() or entry[0] != self.sid or not entry[2].isdigit():
            return False
        if int(entry[2]) not in self.entries:
            return False
        self.early.setdefault(cid, []).append(report)
        return True
