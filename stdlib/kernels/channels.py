"""Kernels of the channels: donchian and keltner (signatures: nts.stdlib.volatility)."""

import math


from ...runtime.jit import hot

from .moving_average import ema_reset, ema_size, ema_update
from .volatility import atr_reset, atr_size, atr_update
from .window import extreme_push, extreme_reset, extreme_size

NAN = float("nan")


# donchian: [counted window of highs, counted window of lows] (window.py) -> (upper, middle, lower).
@hot
def donchian_size(length):
    return 2 * extreme_size(length)


@hot
def donchian_reset(st, o, length):
    extreme_reset(st, o, length)
    extreme_reset(st, o + extreme_size(length), length)


@hot
def donchian_update(st, o, high, low, length):
    upper = extreme_push(st, o, length, high, True)
    lower = extreme_push(st, o + extreme_size(length), length, low, False)
    # Warm-up length - 1, as TA-Lib MAX/MIN; an na high (low) in the window makes upper (lower) and middle na.
    return upper, (upper + lower) / 2.0, lower


# keltner: [ema block, atr block] -> (upper, middle, lower). The EMA (TA-Lib seeded) is ready after length - 1
# updates, the ATR (TA-Lib: no true range on the first bar) after `length`. All three outputs stay na until both
# are ready, so that the channel appears at once and the declared warm-up `length` holds for each output.
@hot
def keltner_size(length):
    return ema_size(length) + atr_size(length)


@hot
def keltner_reset(st, o, length):
    ema_reset(st, o, length)
    atr_reset(st, o + ema_size(length), length)


@hot
def keltner_update(st, o, high, low, close, length, mult):
    middle = ema_update(st, o, close, length)
    atr = atr_update(st, o + ema_size(length), high, low, close, length)
    if math.isnan(atr):
        return NAN, NAN, NAN
    return middle + mult * atr, middle, middle - mult * atr
