"""Which kernel implements each stateful stdlib function: `<name>_size`, `<name>_reset`, `<name>_update` in one of
the kernel modules. The code generator and the state layout look kernels up here."""

from __future__ import annotations

import functools
import importlib
from typing import Callable, NamedTuple

MODULES = ("moving_average", "volatility", "oscillator", "trend", "volume", "series_helpers", "channels")


class Kernel(NamedTuple):
    module: str
    size: Callable
    reset: Callable
    update: Callable


@functools.lru_cache(maxsize=None)
def kernel_for(name: str) -> Kernel | None:
    for module_name in MODULES:
        module = importlib.import_module(f"{__package__}.{module_name}")
        parts = [getattr(module, f"{name}_{part}", None) for part in ("size", "reset", "update")]
        if all(parts):
            return Kernel(module.__name__, *parts)
    return None
