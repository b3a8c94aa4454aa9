"""Volatility and channel indicators."""

from .signature import indicator

M = __name__.rsplit(".", 1)[-1]

indicator("true_range", "bars: bars", "float",
          "True range: max(high - low, |high - close[1]|, |low - close[1]|); na on the first bar, which has no "
          "previous close (as TA-Lib).",
          module=M, warmup="1")
indicator("atr", "bars: bars, length: static int = 14", "float",
          "Average true range: Wilder's average of the true range.", module=M, warmup="length")
indicator("natr", "bars: bars, length: static int = 14", "float",
          "Normalised ATR: 100 * atr / close.", module=M, warmup="length")
indicator("stddev", "source: series float, length: static int = 20", "float",
          "Population standard deviation of the last `length` values (as TA-Lib STDDEV with nbdev 1).",
          module=M, warmup="length - 1")
indicator("variance", "source: series float, length: static int = 20", "float",
          "Population variance of the last `length` values.", module=M, warmup="length - 1")
indicator("bbands", "source: series float, length: static int = 20, mult: value float = 2.0", "float",
          "Bollinger bands: `middle` = sma, `upper`/`lower` = middle +/- mult * stddev.",
          module=M, outputs={"upper": "float", "middle": "float", "lower": "float"}, warmup="length - 1")
indicator("donchian", "bars: bars, length: static int = 20", "float",
          "Donchian channel over the last `length` bars: `upper` = highest high, `lower` = lowest low, "
          "`middle` their mean.", module=M, outputs={"upper": "float", "middle": "float", "lower": "float"},
          warmup="length - 1")
indicator("keltner", "bars: bars, length: static int = 20, mult: value float = 2.0", "float",
          "Keltner channel: `middle` = ema(close, length), `upper`/`lower` = middle +/- mult * atr(length).",
          module=M, outputs={"upper": "float", "middle": "float", "lower": "float"}, warmup="length")
