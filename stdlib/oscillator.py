"""Momentum oscillators."""

from .signature import indicator

M = __name__.rsplit(".", 1)[-1]

indicator("rsi", "source: series float, length: static int = 14", "float",
          "Relative strength index (Wilder), 0..100.", module=M, warmup="length")
indicator("macd", "source: series float, fast: static int = 12, slow: static int = 26, signal: static int = 9",
          "float", "Moving average convergence/divergence: `line` = ema(fast) - ema(slow), `signal` = ema(line, "
          "signal), `hist` = line - signal.", module=M, outputs={"line": "float", "signal": "float", "hist": "float"},
          warmup="slow + signal - 2")
indicator("cci", "bars: bars, length: static int = 20", "float",
          "Commodity channel index of the typical price (high + low + close) / 3, with the 0.015 constant.",
          module=M, warmup="length - 1")
indicator("stoch", "bars: bars, k: static int = 14, smooth: static int = 3, d: static int = 3", "float",
          "Slow stochastic oscillator: `k` = sma(fast %K, smooth), `d` = sma(k, d), both 0..100.",
          module=M, outputs={"k": "float", "d": "float"}, warmup="k + smooth + d - 3")
indicator("stochrsi", "source: series float, length: static int = 14, k: static int = 5, d: static int = 3",
          "float", "Stochastic RSI (as TA-Lib STOCHRSI): fast %K of rsi(source, length) over `k` values, and its "
          "`d`-length SMA.", module=M, outputs={"k": "float", "d": "float"}, warmup="length + k + d - 2")
indicator("willr", "bars: bars, length: static int = 14", "float",
          "Williams %R, -100..0.", module=M, warmup="length - 1")
indicator("roc", "source: series float, length: static int = 10", "float",
          "Rate of change in percent: 100 * (source / source[length] - 1).", module=M, warmup="length")
indicator("mom", "source: series float, length: static int = 10", "float",
          "Momentum: source - source[length].", module=M, warmup="length")
indicator("aroon", "bars: bars, length: static int = 14", "float",
          "Aroon: `up` and `down`, 0..100, from the bars since the highest high / lowest low in `length` + 1 bars.",
          module=M, outputs={"up": "float", "down": "float"}, warmup="length")
