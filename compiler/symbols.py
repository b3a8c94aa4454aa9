"""Module-level declarations gathered into one table: params, consts, instruments, data streams, series, vars,
functions and handlers, from the strategy file and the libraries it imports."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dsl import ast
from .types import Type


@dataclass
class Stream:
    """A data subscription. Unaliased streams are read through their instrument (`btc.close`), aliased ones
    through the alias (`trend.close`)."""

    instrument: str
    data: str  # bars | quotes | trades | book
    decl: ast.Data
    alias: str | None = None

    @property
    def key(self) -> str:
        """A stable name for facts and generated code: the alias, else `instrument.data`."""
        return self.alias or f"{self.instrument}.{self.data}"

    @property
    def description(self) -> str:
        if self.data == "bars":
            what = f"bars {self.decl.timeframe.text}"
        elif self.data == "book":
            what = "book mbo" if self.decl.mbo else f"book depth {self.decl.depth}"
        else:
            what = self.data
        return f"data {self.instrument} {what}" + (f" as {self.alias}" if self.alias else "")


@dataclass
class Symbols:
    header: ast.Header | None = None
    timezone: ast.Timezone | None = None
    params: dict[str, ast.Param] = field(default_factory=dict)
    consts: dict[str, ast.Const] = field(default_factory=dict)
    const_values: dict[str, object] = field(default_factory=dict)
    const_types: dict[str, Type] = field(default_factory=dict)
    instruments: dict[str, ast.Instrument] = field(default_factory=dict)
    streams: list[Stream] = field(default_factory=list)
    aliases: dict[str, Stream] = field(default_factory=dict)
    series: dict[str, ast.Series] = field(default_factory=dict)
    series_types: dict[str, Type] = field(default_factory=dict)
    vars: dict[str, ast.Var] = field(default_factory=dict)
    var_types: dict[str, Type] = field(default_factory=dict)
    var_sizes: dict[str, int] = field(default_factory=dict)
    functions: dict[str, ast.Function] = field(default_factory=dict)
    handlers: list[ast.Handler] = field(default_factory=list)
    # Where each module-level name was declared, for duplicate reports and go-to-definition.
    declared_at: dict[str, ast.Node] = field(default_factory=dict)

    def unaliased_streams(self, instrument: str) -> list[Stream]:
        return [s for s in self.streams if s.instrument == instrument and s.alias is None]

    def streams_of(self, name: str) -> list[Stream]:
        """The streams a name reads: an alias's own stream, or an instrument's unaliased streams."""
        if name in self.aliases:
            return [self.aliases[name]]
        return self.unaliased_streams(name)

    def has_data(self, instrument: str) -> bool:
        return any(s.instrument == instrument for s in self.streams)

    def kind_of(self, name: str) -> str | None:
        """What a module-level name is: param, const, instrument, stream, series, var or function."""
        for kind, table in (("param", self.params), ("const", self.consts), ("instrument", self.instruments),
                            ("stream", self.aliases), ("series", self.series), ("var", self.vars),
                            ("function", self.functions)):
            if name in table:
                return kind
        return None

    def all_names(self) -> list[str]:
        return [*self.params, *self.consts, *self.instruments, *self.aliases, *self.series, *self.vars,
                *self.functions]
