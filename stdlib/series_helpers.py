"""Helpers over a series' recent values: crosses, changes, counts."""

from .signature import indicator

M = __name__.rsplit(".", 1)[-1]

indicator("crossover", "a: series float, b: series float", "bool",
          "True on the update where `a` goes from at or below `b` to above it.", module=M, warmup="1")
indicator("crossunder", "a: series float, b: series float", "bool",
          "True on the update where `a` goes from at or above `b` to below it.", module=M, warmup="1")
indicator("change", "source: series float, length: static int = 1", "float",
          "source - source[length].", module=M, warmup="length")
indicator("cum", "source: series float", "float",
          "Running sum of `source` since the start (na values are skipped).", module=M, warmup="0")
indicator("rising", "source: series float, length: static int = 1", "bool",
          "True when `source` rose on each of the last `length` updates.", module=M, warmup="length")
indicator("falling", "source: series float, length: static int = 1", "bool",
          "True when `source` fell on each of the last `length` updates.", module=M, warmup="length")
indicator("barssince", "cond: series bool", "int",
          "Updates since `cond` was last true (0 when it is true now); -1 while it has never been true.",
          module=M, warmup="0")
indicator("valuewhen", "cond: series bool, source: series float, occurrence: static int = 0", "float",
          "The value of `source` when `cond` was true, `occurrence` times ago (0 = the most recent); na before.",
          module=M, warmup="0")
