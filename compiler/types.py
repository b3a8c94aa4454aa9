"""The types of .nts expressions and the rules that combine them.

Scalars: int, float, bool, duration, timestamp, string, instrument. `stream` is a data subscription used as a
value (an argument of `atr(btc)`); `record` is a multi-output indicator's result, read through its fields.
`error` marks an expression that already has a diagnostic, so one mistake is reported once.
The only implicit conversion is int -> float.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Type:
    name: str
    # For `record`: the indicator's output names and their types.
    fields: tuple[tuple[str, str], ...] = field(default=())

    def __str__(self) -> str:
        if self.name == "record":
            return "(" + ", ".join(f"{k}: {v}" for k, v in self.fields) + ")"
        return self.name

    @property
    def is_numeric(self) -> bool:
        return self.name in ("int", "float")

    def field_type(self, name: str) -> "Type | None":
        return next((SCALARS[t] for k, t in self.fields if k == name), None)


INT = Type("int")
FLOAT = Type("float")
BOOL = Type("bool")
DURATION = Type("duration")
TIMESTAMP = Type("timestamp")
STRING = Type("string")
INSTRUMENT = Type("instrument")
STREAM = Type("stream")
VOID = Type("void")
ERROR = Type("error")

SCALARS = {t.name: t for t in (INT, FLOAT, BOOL, DURATION, TIMESTAMP, STRING, INSTRUMENT)}


def record(fields: dict[str, str]) -> Type:
    return Type("record", tuple(fields.items()))


def assignable(value: Type, target: Type) -> bool:
    """Whether a value of type `value` may be stored where `target` is expected."""
    if ERROR in (value, target):
        return True
    return value == target or (value == INT and target == FLOAT)


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two branches (`x if c else y`), or None."""
    if ERROR in (a, b):
        return ERROR
    if a == b:
        return a
    if {a, b} == {INT, FLOAT}:
        return FLOAT
    return None


def arithmetic(op: str, left: Type, right: Type) -> Type | None:
    """The type of `left op right` for + - * / // % **, or None when the operation is not defined."""
    if ERROR in (left, right):
        return ERROR
    if left.is_numeric and right.is_numeric:
        if op == "/" or FLOAT in (left, right):
            return FLOAT
        return INT
    pair = (left.name, op, right.name)
    table = {
        ("duration", "+", "duration"): DURATION, ("duration", "-", "duration"): DURATION,
        ("duration", "*", "int"): DURATION, ("duration", "*", "float"): DURATION,
        ("int", "*", "duration"): DURATION, ("float", "*", "duration"): DURATION,
        ("duration", "/", "int"): DURATION, ("duration", "/", "float"): DURATION,
        ("duration", "/", "duration"): FLOAT, ("duration", "//", "duration"): INT,
        ("duration", "%", "duration"): DURATION,
        ("timestamp", "+", "duration"): TIMESTAMP, ("duration", "+", "timestamp"): TIMESTAMP,
        ("timestamp", "-", "duration"): TIMESTAMP, ("timestamp", "-", "timestamp"): DURATION,
    }
    return table.get(pair)


def comparable(op: str, left: Type, right: Type) -> bool:
    if ERROR in (left, right):
        return True
    if left.is_numeric and right.is_numeric:
        return True
    if left != right:
        return False
    if left.name in ("duration", "timestamp"):
        return True
    return op in ("==", "!=") and left.name in ("bool", "string", "instrument")
