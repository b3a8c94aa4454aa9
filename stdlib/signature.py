"""How a stdlib function declares itself to the type checker and the editor.

A declaration is one call:

    declare("sma", "source: series float, length: static int", "float",
            "Simple moving average of `source` over the last `length` updates.", warmup="length")

Argument roles:
- `series`: a value that advances with its inputs; a stateful function's series arguments may read data,
  series, params and consts, but not handler locals, `var`s or portfolio state.
- `static`: known before the run: a literal, a const, or a param with a range. A stateful function sizes its
  state from the upper bound (the longest `length` a param's range allows).
- `value`: any expression of the type.
- `bars`: a bar stream (an instrument with bars, or a bars alias); the function reads its high/low/close/volume.
Types: int, float, bool, duration, timestamp, string, instrument, and `num` (int or float; the result is float
when any `num` argument is float).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

Role = Literal["series", "static", "value", "bars"]


class Arg(BaseModel):
    name: str
    role: Role
    type: str
    default: float | int | bool | str | None = None
    has_default: bool = False


class FunctionSig(BaseModel):
    name: str
    args: list[Arg]
    returns: str
    # Named outputs of a multi-output indicator (`macd(...).signal`); empty for single-valued functions.
    outputs: dict[str, str] = {}
    doc: str
    stateful: bool
    module: str
    warmup: str | None = None

    def signature_text(self) -> str:
        """`sma(source: series float, length: static int) -> float`, as the editor shows it."""
        parts = []
        for a in self.args:
            text = f"{a.name}: {a.role} {a.type}" if a.role != "bars" else f"{a.name}: bars"
            if a.has_default:
                shown = {True: "true", False: "false"}.get(a.default, a.default) if isinstance(a.default, bool) \
                    else a.default
                text += f' = "{shown}"' if a.type == "string" else f" = {shown}"
            parts.append(text)
        ret = self.returns if not self.outputs else "(" + ", ".join(f"{k}: {v}" for k, v in self.outputs.items()) + ")"
        return f"{self.name}({', '.join(parts)}) -> {ret}"


_ARG = re.compile(r"^\s*(\w+)\s*:\s*(series|static|value|bars)\s*(\w+)?\s*(?:=\s*(.+?))?\s*$")
REGISTRY: dict[str, FunctionSig] = {}


def _parse_default(text: str):
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"'):
        return text.strip('"')
    if re.fullmatch(r"([0-9]+(ns|us|ms|s|m|h|d|w))+", text):
        return text  # a duration, kept as written: `1d`
    return float(text) if any(c in text for c in ".eE") else int(text)


def declare(name: str, args: str, returns: str, doc: str, *, stateful: bool = False, module: str = "",
            outputs: dict[str, str] | None = None, warmup: str | None = None) -> FunctionSig:
    parsed = []
    for part in filter(None, (p.strip() for p in args.split(","))):
        m = _ARG.match(part)
        if not m:
            raise ValueError(f"bad stdlib argument spec {part!r} in {name}")
        arg_name, role, type_, default = m.groups()
        parsed.append(Arg(name=arg_name, role=role, type=type_ or "bars",
                          default=_parse_default(default) if default is not None else None,
                          has_default=default is not None))
    sig = FunctionSig(name=name, args=parsed, returns=returns, outputs=outputs or {}, doc=doc,
                      stateful=stateful, module=module, warmup=warmup)
    if name in REGISTRY:
        raise ValueError(f"stdlib function {name} declared twice")
    REGISTRY[name] = sig
    return sig


def indicator(name: str, args: str, returns: str, doc: str, **kw) -> FunctionSig:
    """A stateful function: O(1) per update over its own state block, advanced whenever its inputs update."""
    return declare(name, args, returns, doc, stateful=True, **kw)
