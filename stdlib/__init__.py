"""The standard library callable from .nts: indicators, series helpers, math, calendar and context queries.

Every function's signature and docstring live in its family module; `REGISTRY` gathers them for the type
checker and the editor.
"""

from . import calendar, context, math, moving_average, oscillator, series_helpers, trend, volatility, volume  # noqa: F401
from .context import VALUES as CONTEXT_VALUES
from .signature import REGISTRY, Arg, FunctionSig

__all__ = ["REGISTRY", "CONTEXT_VALUES", "Arg", "FunctionSig"]
