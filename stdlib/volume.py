"""Volume indicators."""

from .signature import indicator

M = __name__.rsplit(".", 1)[-1]

indicator("obv", "bars: bars", "float",
          "On-balance volume: the running sum of volume signed by the close's change.", module=M, warmup="0")
indicator("mfi", "bars: bars, length: static int = 14", "float",
          "Money flow index, 0..100, from the typical price times volume.", module=M, warmup="length")
indicator("vwap", "bars: bars, session: static duration = 1d", "float",
          "Volume-weighted average of the typical price, anchored at the start of each `session` "
          "(UTC, or the strategy's `timezone`).", module=M, warmup="0")
