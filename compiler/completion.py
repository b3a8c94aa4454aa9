"""Completion and signature help for the editor.

Both read the text before the cursor (which may be half-typed and unparseable) to know the context, and the
last good `Index` of the file for the names it declares: keywords that fit where the cursor is, declared names,
locals of the enclosing handler or function, stdlib functions (inserted as snippets with their arguments), and
after a dot the fields of a data stream, an event or a multi-output indicator.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..stdlib import CONTEXT_VALUES, REGISTRY
from .fields import BOOK_LEVEL_FIELDS, DATA_FIELDS, EVENT_FIELDS, FIELD_DOCS
from .navigation import Index

DECLARATION_KEYWORDS = ["strategy", "import", "timezone", "param", "instrument", "data", "const", "series", "var",
                        "def", "on"]
STATEMENT_KEYWORDS = ["if", "elif", "else", "for", "return", "break", "continue", "pass", "buy", "sell", "target",
                      "modify", "close", "cancel", "record", "log"]
EXPRESSION_KEYWORDS = ["and", "or", "not", "if", "else", "true", "false", "na"]
EVENTS = ["bar", "quote", "trade", "book", "fill", "order", "timer", "start", "stop"]
ORDER_EVENTS = ["rejected", "canceled", "expired", "denied", "accepted"]
DATA_KINDS = ["bars", "quotes", "trades", "book"]
TYPES = ["int", "float", "bool", "duration", "timestamp", "string"]
PARAM_TYPES = ["int", "float", "bool", "duration", "choice"]
CLAUSES = ["limit", "stop", "stop_limit", "market_if_touched", "limit_if_touched", "trailing", "tif", "post_only",
           "reduce_only", "tag", "stop_loss", "take_profit", "oco", "qty"]
TIFS = ["gtc", "ioc", "fok", "day", "gtd"]


@dataclass
class Item:
    label: str
    kind: str  # keyword, function, variable, field, constant, module, event, type, snippet
    detail: str = ""
    doc: str = ""
    snippet: str | None = None  # insert text with ${1:placeholders}


@dataclass
class Signature:
    label: str
    params: list[str]
    doc: str
    active: int


_NAME_AT_END = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_ORDER_HEAD = re.compile(r"^\s*(buy|sell|target)\s+\w+\s+\S|^\s*(close\s+\w+|modify\s+\"[^\"]*\")\s")


def complete(index: Index | None, path: str, line_text: str, line: int, col: int) -> list[Item]:
    """What may be typed at a cursor: `line_text` is the line's text, `col` the 1-based cursor column."""
    before = line_text[:col - 1]
    stem = before[:len(before) - len(_NAME_AT_END.search(before).group(0))] if _NAME_AT_END.search(before) \
        else before
    if stem.endswith("."):
        return _fields(index, path, line, stem[:-1])
    words = stem.split()
    indented = before[:1].isspace()
    if not indented:
        if not words:
            return [Item(k, "keyword") for k in DECLARATION_KEYWORDS]
        return _declaration_context(index, words) or _expression_items(index, path, line)
    if not words:
        return [Item(k, "keyword") for k in STATEMENT_KEYWORDS] + _expression_items(index, path, line)
    if words[0] in ("buy", "sell", "target", "close") and len(words) == 1:
        return _names(index, "instrument")
    if _ORDER_HEAD.match(stem) and stem.endswith(" ") and not re.search(r"[-+*/(,<>=]\s*$", stem):
        if words[-1] == "tif":
            return [Item(t, "keyword") for t in TIFS]
        if words[-1] == "trailing":
            return [Item(t, "keyword") for t in ("ticks", "price", "percent")]
        return [Item(c, "keyword") for c in CLAUSES] + _expression_items(index, path, line)
    if words[0] == "cancel" and len(words) == 1:
        return [Item("all", "keyword")] + _names(index, "instrument")
    return _expression_items(index, path, line)


def _declaration_context(index: Index | None, words: list[str]) -> list[Item] | None:
    head = words[0]
    if head == "on" and len(words) == 1:
        return [Item(e, "event") for e in EVENTS]
    if head == "on" and len(words) == 2 and words[1] in ("bar", "quote", "trade", "book"):
        return _names(index, "instrument") + _names(index, "stream")
    if head == "on" and words[1:] == ["order"]:
        return [Item(e, "event") for e in ORDER_EVENTS]
    if head == "data" and len(words) == 1:
        return _names(index, "instrument")
    if head == "data" and len(words) == 2:
        return [Item(k, "keyword") for k in DATA_KINDS]
    if head == "param" and len(words) == 2 and words[1].endswith(":"):
        return [Item(t, "type") for t in PARAM_TYPES]
    if (head in ("var", "const", "def") and words[-1].endswith(":")) or words[-1] == "->":
        return [Item(t, "type") for t in TYPES]
    return None


def _names(index: Index | None, kind: str) -> list[Item]:
    if index is None:
        return []
    return [Item(name, _ITEM_KIND[kind], kind) for name, sym in index.module_symbols.items() if sym.kind == kind]


_ITEM_KIND = {"param": "constant", "const": "constant", "instrument": "module", "stream": "module",
              "series": "variable", "var": "variable", "function": "function", "local": "variable",
              "argument": "variable", "loop": "variable"}


def _expression_items(index: Index | None, path: str, line: int) -> list[Item]:
    items = [Item(k, "keyword") for k in EXPRESSION_KEYWORDS]
    if index is not None:
        items += _declared_items(index)
        for name, sym in index.scope_at(path, line).items():
            items.append(Item(name, "variable", sym.kind))
        handler = _handler_at(index, path, line)
        if handler in EVENT_FIELDS:
            items.append(Item(handler, "variable", f"the {handler} event"))
    return items + _builtin_items()


def _declared_items(index: Index) -> list[Item]:
    """The module-level names, described once per analysis (a completion is asked for at every keystroke)."""
    if "declared" not in index.cache:
        index.cache["declared"] = [Item(name, _ITEM_KIND[sym.kind], sym.kind, doc=index.describe(sym))
                                   for name, sym in index.module_symbols.items()]
    return index.cache["declared"]


@functools.lru_cache(maxsize=1)
def _builtin_items() -> list[Item]:
    items = [Item(v.name, "variable", v.type, v.doc) for v in CONTEXT_VALUES.values()]
    for sig in REGISTRY.values():
        args = [a for a in sig.args if not a.has_default]
        snippet = f"{sig.name}(" + ", ".join(f"${{{i + 1}:{a.name}}}" for i, a in enumerate(args)) + ")"
        items.append(Item(sig.name, "function", sig.signature_text(), sig.doc, snippet))
    return items


def _handler_at(index: Index, path: str, line: int) -> str | None:
    module = index.result.module
    for d in module.items if module is not None else []:
        if d.kind == "handler" and d.span.path == path and d.span.line <= line <= d.span.end_line:
            return d.event
    return None


def _fields(index: Index | None, path: str, line: int, obj_text: str) -> list[Item]:
    name = _NAME_AT_END.search(obj_text)
    if name is None or index is None:
        return []
    obj = name.group(0)
    local = index.scope_at(path, line).get(obj)
    if obj in EVENT_FIELDS and local is None and _handler_at(index, path, line) == obj:
        return [Item(f, "field", str(t), FIELD_DOCS.get(f, "")) for f, t in EVENT_FIELDS[obj].items()]
    symbols = index.result.symbols
    if local is None and symbols is not None and (obj in symbols.instruments or obj in symbols.aliases):
        items: dict[str, Item] = {}
        for stream in symbols.streams_of(obj):
            for f, t in DATA_FIELDS[stream.data].items():
                items.setdefault(f, Item(f, "field", f"{t} ({stream.description})", FIELD_DOCS.get(f, "")))
            if stream.data == "book":
                for f, t in BOOK_LEVEL_FIELDS.items():
                    items.setdefault(f, Item(f, "field", f"{t} (level)", FIELD_DOCS.get(f, ""),
                                             f"{f}(${{1:0}})"))
        return list(items.values())
    # A series or local holding a multi-output indicator (`band.lower`).
    sym = local or index.module_symbols.get(obj)
    node = getattr(sym, "node", None)
    value = getattr(node, "value", node) if sym is not None and sym.kind == "series" else node
    types = index.result.checker.types if index.result.checker else {}
    t = types.get(id(value))
    return [Item(f, "field", str(ft)) for f, ft in getattr(t, "fields", ())] if t is not None else []


def signature_help(index: Index | None, text_before: str) -> Signature | None:
    """The call the cursor is in: `text_before` is the document's text up to the cursor."""
    depth, commas, i = 0, 0, len(text_before) - 1
    in_string = False
    stop = max(0, i - 4000)
    while i >= stop:
        ch = text_before[i]
        if ch == '"' and (i == 0 or text_before[i - 1] != "\\"):
            in_string = not in_string
        elif in_string:
            pass
        elif ch in ")]":
            depth += 1
        elif ch == "[" and depth > 0:
            depth -= 1
        elif ch == "(":
            if depth == 0:
                name = _NAME_AT_END.search(text_before[:i].rstrip())
                return _signature(index, name.group(0), commas) if name else None
            depth -= 1
        elif ch == "," and depth == 0:
            commas += 1
        elif ch == "\n" and text_before[i + 1:].strip() and depth == 0 and \
                not text_before[i + 1:i + 2].isspace():
            return None  # a new top-level line: no call spans it
        i -= 1
    return None


def _signature(index: Index | None, name: str, active: int) -> Signature | None:
    sym = index.module_symbols.get(name) if index is not None else None
    if sym is not None and sym.kind == "function":
        fn = sym.node
        params = [f"{p.name}: {p.type}" for p in fn.params]
        return Signature(f"{name}({', '.join(params)}) -> {fn.returns}", params, fn.doc or "", active)
    sig = REGISTRY.get(name)
    if sig is None:
        return None
    label = sig.signature_text()
    inner = label[len(name) + 1:label.rindex(") -> ")]
    params = [p.strip() for p in inner.split(", ")] if inner else []
    return Signature(label, params, sig.doc, active)
