"""Trend indicators."""

from .signature import indicator

M = __name__.rsplit(".", 1)[-1]

indicator("adx", "bars: bars, length: static int = 14", "float",
          "Average directional index (Wilder), 0..100.", module=M, warmup="2 * length - 1")
indicator("dmi", "bars: bars, length: static int = 14", "float",
          "Directional movement index: `plus` (+DI), `minus` (-DI) and `adx`.",
          module=M, outputs={"plus": "float", "minus": "float", "adx": "float"}, warmup="2 * length - 1")
indicator("supertrend", "bars: bars, length: static int = 10, mult: value float = 3.0", "float",
          "Supertrend: `line` (the trailing band) and `direction` (1 up, -1 down) from atr(length) * mult around "
          "hl2.", module=M, outputs={"line": "float", "direction": "int"}, warmup="length")
indicator("psar", "bars: bars, start: value float = 0.02, step: value float = 0.02, max: value float = 0.2",
          "float", "Parabolic SAR with acceleration `start`, increment `step` and cap `max` (as TA-Lib SAR).",
          module=M, warmup="1")
indicator("linreg", "source: series float, length: static int = 14", "float",
          "Value of the least-squares line through the last `length` values, at the newest one.",
          module=M, warmup="length - 1")
indicator("linreg_slope", "source: series float, length: static int = 14", "float",
          "Slope per update of the least-squares line through the last `length` values.",
          module=M, warmup="length - 1")
indicator("highest", "source: series float, length: static int", "float",
          "Highest of the last `length` values (the current one included).", module=M, warmup="length - 1")
indicator("lowest", "source: series float, length: static int", "float",
          "Lowest of the last `length` values (the current one included).", module=M, warmup="length - 1")
