"""Calendar helpers over timestamps. `tz` is an IANA zone name; the default is the strategy's `timezone`, else UTC."""

from .signature import declare

M = __name__.rsplit(".", 1)[-1]

_TZ = 'tz: static string = ""'
declare("year", f"t: value timestamp, {_TZ}", "int", "Calendar year of `t`.", module=M)
declare("month", f"t: value timestamp, {_TZ}", "int", "Month of `t`, 1..12.", module=M)
declare("dayofmonth", f"t: value timestamp, {_TZ}", "int", "Day of the month of `t`, 1..31.", module=M)
declare("dayofweek", f"t: value timestamp, {_TZ}", "int", "Day of the week of `t`: 0 = Monday .. 6 = Sunday.",
        module=M)
declare("hour", f"t: value timestamp, {_TZ}", "int", "Hour of `t`, 0..23.", module=M)
declare("minute", f"t: value timestamp, {_TZ}", "int", "Minute of `t`, 0..59.", module=M)
declare("second", f"t: value timestamp, {_TZ}", "int", "Second of `t`, 0..59.", module=M)
declare("time_of_day", f"t: value timestamp, {_TZ}", "duration",
        "Time since local midnight, for session windows such as `time_of_day(time) >= 9h30m`.", module=M)
