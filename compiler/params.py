"""Param values for one run: the defaults, overridden by the user or a sweep, checked against the declared types,
ranges and choices, and packed into the `params` vector the compiled handlers read. One compiled strategy serves any
param set; this is the only place a param value enters it."""

from __future__ import annotations

import numpy as np

from .facts import ParamFact
from .manifest import StateLayout


class ParamError(ValueError):
    """A param value that the strategy does not accept; the message names the param and what it accepts."""


def param_vector(params: list[ParamFact], layout: StateLayout, overrides: dict | None = None) -> np.ndarray:
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - {p.name for p in params})
    if unknown:
        raise ParamError(f"unknown param{'s' * (len(unknown) > 1)}: {', '.join(unknown)}; the strategy has "
                         + ", ".join(p.name for p in params))
    vector = np.zeros(layout.sizes.get("params", 0), dtype=np.float64)
    for p in params:
        value = _coerce(p, overrides.get(p.name, p.default))
        vector[layout.slot("params", p.name).offset] = value
    return vector


def _coerce(p: ParamFact, value) -> float:
    if p.type == "choice":
        if value not in (p.choices or []):
            raise ParamError(f"param {p.name}: {value!r} is not one of {p.choices}")
        return float(p.choices.index(value))
    if p.type == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            raise ParamError(f"param {p.name}: expected true or false, got {value!r}")
        return float(value)
    if p.type == "duration" and isinstance(value, str):
        from ..dsl.durations import parse_duration  # the parser's: one duration syntax
        nanos = parse_duration(value)
        if nanos is None:
            raise ParamError(f"param {p.name}: {value!r} is not a duration such as 5m or 1h30m")
        value = nanos
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number != number:
        raise ParamError(f"param {p.name}: expected {p.type}, got {value!r}")
    if p.type in ("int", "duration") and number != int(number):
        raise ParamError(f"param {p.name}: expected a whole {p.type}, got {value!r}")
    if p.lo is not None and not p.lo <= number <= p.hi:
        raise ParamError(f"param {p.name}: {value!r} is outside its range {p.lo}..{p.hi}; the compiled strategy's "
                         "history and indicator state are sized for that range")
    return number
