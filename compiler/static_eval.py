"""What can be known about an expression before the run: its constant value, or the range of its values.

Constants come from literals and `const`s. Ranges add params with a declared range (a sweep may set any value
inside it) and loop variables. The checker uses ranges to size history buffers and indicator state, so no
run-time "max bars back" error can exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..dsl import ast


class NotStatic(Exception):
    """The expression's value is not known before the run; `node` is the part that makes it so."""

    def __init__(self, node: ast.Node):
        self.node = node


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float

    def __add__(self, o: "Interval") -> "Interval":
        return Interval(self.lo + o.lo, self.hi + o.hi)

    def __sub__(self, o: "Interval") -> "Interval":
        return Interval(self.lo - o.hi, self.hi - o.lo)

    def __mul__(self, o: "Interval") -> "Interval":
        products = [self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi]
        return Interval(min(products), max(products))


# name -> constant value, or raises NotStatic
ConstLookup = Callable[[ast.Name], object]
# name -> Interval, or raises NotStatic
RangeLookup = Callable[[ast.Name], Interval]


def const_value(expr: ast.Expr, lookup: ConstLookup):
    """The value of a constant expression (int, float, bool, str, or a duration as ("duration", nanos))."""
    if isinstance(expr, (ast.IntLit, ast.FloatLit, ast.BoolLit, ast.StringLit)):
        return expr.value
    if isinstance(expr, ast.DurationLit):
        return Duration(expr.nanos)
    if isinstance(expr, ast.NaLit):
        return float("nan")
    if isinstance(expr, ast.Name):
        return lookup(expr)
    if isinstance(expr, ast.Unary):
        v = const_value(expr.operand, lookup)
        if isinstance(v, bool) or not isinstance(v, (int, float, Duration)):
            raise NotStatic(expr)
        return -v if expr.op == "-" else v
    if isinstance(expr, ast.Not):
        v = const_value(expr.operand, lookup)
        if not isinstance(v, bool):
            raise NotStatic(expr)
        return not v
    if isinstance(expr, ast.Binary):
        a, b = const_value(expr.left, lookup), const_value(expr.right, lookup)
        return _arith(expr, a, b)
    if isinstance(expr, ast.Compare):
        a, b = const_value(expr.left, lookup), const_value(expr.right, lookup)
        ops = {"==": a == b, "!=": a != b}
        if expr.op in ops:
            return ops[expr.op]
        try:
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[expr.op]
        except TypeError:
            raise NotStatic(expr) from None
    if isinstance(expr, ast.BoolOp):
        a, b = const_value(expr.left, lookup), const_value(expr.right, lookup)
        if not (isinstance(a, bool) and isinstance(b, bool)):
            raise NotStatic(expr)
        return (a and b) if expr.op == "and" else (a or b)
    if isinstance(expr, ast.Ternary):
        c = const_value(expr.cond, lookup)
        if not isinstance(c, bool):
            raise NotStatic(expr)
        return const_value(expr.then if c else expr.other, lookup)
    raise NotStatic(expr)


class Duration(int):
    """A constant duration in nanoseconds (an int that remembers it is a duration)."""

    def __neg__(self):
        return Duration(-int(self))


def _arith(expr: ast.Binary, a, b):
    numeric = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        raise NotStatic(expr)
    if isinstance(a, Duration) or isinstance(b, Duration):
        if expr.op in ("+", "-") and isinstance(a, Duration) and isinstance(b, Duration):
            return Duration(a + b if expr.op == "+" else a - b)
        if expr.op == "*" and (isinstance(a, Duration) != isinstance(b, Duration)):
            return Duration(int(a * b))
        if isinstance(a, Duration) and not isinstance(b, Duration) and expr.op == "/" and b != 0:
            return Duration(int(a / b))
        if isinstance(a, Duration) and isinstance(b, Duration) and b != 0:
            if expr.op == "/":
                return int(a) / int(b)
            if expr.op == "//":
                return int(a) // int(b)
            if expr.op == "%":
                return Duration(int(a) % int(b))
        raise NotStatic(expr)
    if not (isinstance(a, numeric) and isinstance(b, numeric)):
        raise NotStatic(expr)
    try:
        if expr.op == "+":
            return a + b
        if expr.op == "-":
            return a - b
        if expr.op == "*":
            return a * b
        if expr.op == "/":
            return a / b
        if expr.op == "//":
            return a // b
        if expr.op == "%":
            return a % b
        if expr.op == "**":
            result = a ** b
            if isinstance(result, complex) or (isinstance(result, int) and abs(result) > 2**63):
                raise NotStatic(expr)
            return result
    except (ZeroDivisionError, OverflowError):
        raise NotStatic(expr) from None
    raise NotStatic(expr)


def value_range(expr: ast.Expr, lookup: RangeLookup) -> Interval:
    """The smallest and largest value an integer expression can take in any run, or NotStatic."""
    if isinstance(expr, ast.IntLit):
        return Interval(expr.value, expr.value)
    if isinstance(expr, ast.Name):
        return lookup(expr)
    if isinstance(expr, ast.Unary):
        r = value_range(expr.operand, lookup)
        return Interval(-r.hi, -r.lo) if expr.op == "-" else r
    if isinstance(expr, ast.Binary) and expr.op in ("+", "-", "*"):
        a, b = value_range(expr.left, lookup), value_range(expr.right, lookup)
        return a + b if expr.op == "+" else a - b if expr.op == "-" else a * b
    if isinstance(expr, ast.Binary) and expr.op == "//":
        a, b = value_range(expr.left, lookup), value_range(expr.right, lookup)
        if b.lo <= 0 <= b.hi:
            raise NotStatic(expr.right)
        quotients = [a.lo // b.lo, a.lo // b.hi, a.hi // b.lo, a.hi // b.hi]
        return Interval(min(quotients), max(quotients))
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("min", "max") \
            and len(expr.args) == 2 and not expr.kwargs:
        a, b = value_range(expr.args[0], lookup), value_range(expr.args[1], lookup)
        if expr.func.id == "min":
            return Interval(min(a.lo, b.lo), min(a.hi, b.hi))
        return Interval(max(a.lo, b.lo), max(a.hi, b.hi))
    raise NotStatic(expr)
