"""Pure math helpers: no state, callable anywhere, user functions included."""

from .signature import declare

M = __name__.rsplit(".", 1)[-1]

declare("abs", "x: value num", "num", "Absolute value.", module=M)
declare("min", "a: value num, b: value num", "num", "The smaller of `a` and `b` (na if either is na).", module=M)
declare("max", "a: value num, b: value num", "num", "The larger of `a` and `b` (na if either is na).", module=M)
declare("clamp", "x: value num, lo: value num, hi: value num", "num", "`x` limited to `lo`..`hi`.", module=M)
declare("sign", "x: value num", "num", "-1, 0 or 1 by the sign of `x`.", module=M)
declare("sqrt", "x: value float", "float", "Square root; na for negative `x`.", module=M)
declare("log", "x: value float", "float", "Natural logarithm; na for `x` <= 0.", module=M)
declare("log10", "x: value float", "float", "Base-10 logarithm; na for `x` <= 0.", module=M)
declare("exp", "x: value float", "float", "e to the power `x`.", module=M)
declare("floor", "x: value float", "int", "The largest integer not above `x`.", module=M)
declare("ceil", "x: value float", "int", "The smallest integer not below `x`.", module=M)
declare("round", "x: value float, decimals: static int = 0", "float",
        "`x` rounded half away from zero to `decimals` places.", module=M)
declare("round_to", "x: value float, increment: value float", "float",
        "`x` rounded to a multiple of `increment` (for example a tick size).", module=M)
declare("int", "x: value num", "int", "`x` truncated towards zero; 0 for na.", module=M)
declare("float", "x: value num", "float", "`x` as a float.", module=M)
declare("na", "x: value float", "bool", "True when `x` is na (not available).", module=M)
declare("nz", "x: value float, replacement: value float = 0.0", "float",
        "`x`, or `replacement` when `x` is na.", module=M)
