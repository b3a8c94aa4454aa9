"""Moving averages. Each is an incremental kernel over its own state block (kernels arrive with the compiler back end)."""

from .signature import indicator

M = __name__.rsplit(".", 1)[-1]

indicator("sma", "source: series float, length: static int", "float",
          "Simple moving average: the mean of the last `length` values of `source`. na until `length` values.",
          module=M, warmup="length - 1")
indicator("ema", "source: series float, length: static int", "float",
          "Exponential moving average with alpha = 2 / (length + 1), seeded with the SMA of the first `length` values "
          "(as TA-Lib).", module=M, warmup="length - 1")
indicator("rma", "source: series float, length: static int", "float",
          "Wilder's moving average (RMA, SMMA) with alpha = 1 / length, seeded with the SMA of the first `length` "
          "values. Used by RSI and ATR.", module=M, warmup="length - 1")
indicator("wma", "source: series float, length: static int", "float",
          "Linearly weighted moving average: weights 1..length, the newest value weighted most.",
          module=M, warmup="length - 1")
indicator("dema", "source: series float, length: static int", "float",
          "Double exponential moving average: 2 * ema - ema(ema).", module=M, warmup="2 * (length - 1)")
indicator("tema", "source: series float, length: static int", "float",
          "Triple exponential moving average: 3 * ema - 3 * ema(ema) + ema(ema(ema)).",
          module=M, warmup="3 * (length - 1)")
indicator("hma", "source: series float, length: static int", "float",
          "Hull moving average: wma(2 * wma(source, length / 2) - wma(source, length), sqrt(length)).",
          module=M, warmup="length + floor(sqrt(length)) - 2")
indicator("kama", "source: series float, length: static int = 10, fast: static int = 2, slow: static int = 30",
          "float",
          "Kaufman adaptive moving average: the smoothing constant moves between the `fast` and `slow` EMA "
          "constants with the efficiency ratio over `length` values.", module=M, warmup="length")
