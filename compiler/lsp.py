"""`ntc lsp`: the language server (LSP over stdio, pygls), built on the compiler's own front end.

Each open document is checked with `check_text` (the parser, the checker and the stdlib signatures `ntc check`
uses, so the diagnostics are the same) and indexed by navigation.Index. Diagnostics are published on open and
save at once, and after edits once typing pauses for DEBOUNCE_S; the check runs in a worker thread so requests
keep being answered meanwhile. Hover, definition, references, rename, the outline and semantic tokens answer
from the document's last analysis; completion and signature help also read the text being typed.

A request that fails is logged (window/logMessage and stderr, with the traceback) and answered with an error;
the server keeps running.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..dsl.diagnostics import Diagnostic
from ..dsl.formatter import FormatError, format_source
from ..dsl.source import SourceFile, Span
from .completion import complete, signature_help
from .frontend import CheckResult, check_text
from .navigation import Index, Occurrence

DEBOUNCE_S = 0.25
TOKEN_TYPES = ["parameter", "variable", "function", "namespace", "property", "enumMember", "type"]
TOKEN_MODIFIERS = ["declaration", "readonly", "defaultLibrary"]
_TOKEN_OF_KIND = {"param": ("parameter", ["readonly"]), "const": ("variable", ["readonly"]),
                  "instrument": ("namespace", []), "stream": ("namespace", []), "series": ("variable", ["readonly"]),
                  "var": ("variable", []), "function": ("function", []), "argument": ("parameter", []),
                  "local": ("variable", []), "loop": ("variable", []), "stdlib": ("function", ["defaultLibrary"]),
                  "context": ("variable", ["defaultLibrary", "readonly"]), "event": ("variable", ["defaultLibrary"]),
                  "field": ("property", [])}
_COMPLETION_KINDS = {"keyword": lsp.CompletionItemKind.Keyword, "function": lsp.CompletionItemKind.Function,
                     "variable": lsp.CompletionItemKind.Variable, "field": lsp.CompletionItemKind.Field,
                     "constant": lsp.CompletionItemKind.Constant, "module": lsp.CompletionItemKind.Module,
                     "event": lsp.CompletionItemKind.Event, "type": lsp.CompletionItemKind.TypeParameter}
_SYMBOL_KINDS = {"strategy": lsp.SymbolKind.Module, "param": lsp.SymbolKind.Constant,
                 "const": lsp.SymbolKind.Constant, "instrument": lsp.SymbolKind.Namespace,
                 "data": lsp.SymbolKind.Field, "series": lsp.SymbolKind.Variable, "var": lsp.SymbolKind.Variable,
                 "def": lsp.SymbolKind.Function, "handler": lsp.SymbolKind.Event,
                 "argument": lsp.SymbolKind.Variable}

log = logging.getLogger("ntc.lsp")


@dataclass
class Analysis:
    version: int | None
    text: str
    result: CheckResult
    index: Index


def analyze(text: str, path: str, version: int | None = None) -> Analysis:
    result = check_text(text, path)
    return Analysis(version, text, result, Index.build(result))


class NtsLanguageServer(LanguageServer):
    def __init__(self):
        super().__init__("ntc", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Task] = {}

    # ------------------------------------------------------------ analysis
    def analysis(self, uri: str) -> Analysis:
        """The document's last analysis; made now when it has none yet."""
        found = self.analyses.get(uri)
        if found is None:
            doc = self.workspace.get_text_document(uri)
            found = self.analyses[uri] = analyze(doc.source, _path(uri), doc.version)
        return found

    async def refresh(self, uri: str, delay: float) -> None:
        """Checks the document (after `delay`, unless a newer edit comes) and publishes its diagnostics."""
        try:
            if delay:
                await asyncio.sleep(delay)
            doc = self.workspace.get_text_document(uri)
            text, version = doc.source, doc.version
            done = await asyncio.get_running_loop().run_in_executor(None, analyze, text, _path(uri), version)
            if self.workspace.get_text_document(uri).version != version:
                return  # an edit came while checking: its own refresh publishes
            self.analyses[uri] = done
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                uri=uri, version=version, diagnostics=[_diagnostic(d, done) for d in done.result.diagnostics.sorted()
                                                       if d.span.path == _path(uri)]))
        except asyncio.CancelledError:
            pass
        except Exception:  # noqa: BLE001 - a failed check must not stop the server
            self.report(f"checking {uri} failed")

    def schedule(self, uri: str, delay: float) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self.refresh(uri, delay))

    def report(self, what: str) -> None:
        text = f"{what}:\n{traceback.format_exc()}"
        print(text, file=sys.stderr, flush=True)
        self.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Error, message=text))


server = NtsLanguageServer()


def _guarded(fn):
    """Logs a failing request with its traceback and answers it with an error."""
    @functools.wraps(fn)
    def run(ls: NtsLanguageServer, params):
        try:
            return fn(ls, params)
        except JsonRpcInvalidRequest:
            raise
        except Exception:
            ls.report(f"{fn.__name__} failed")
            raise
    return run


# ---------------------------------------------------------------- positions

def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def _uri(path: str) -> str:
    return from_fs_path(path) or path


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _position(source: SourceFile | None, line: int, col: int) -> lsp.Position:
    text = source.line_text(line) if source is not None else ""
    return lsp.Position(line=max(line - 1, 0), character=_utf16(text[:col - 1]) if source else col - 1)


def _range(span: Span, sources: dict[str, SourceFile]) -> lsp.Range:
    source = sources.get(span.path)
    return lsp.Range(start=_position(source, span.line, span.col), end=_position(source, span.end_line, span.end_col))


def _cursor(text: str, pos: lsp.Position) -> tuple[int, int, str]:
    """(line, col, line text) of an LSP position, 1-based, columns in characters."""
    lines = text.split("\n")
    line_text = lines[pos.line] if pos.line < len(lines) else ""
    units = col = 0
    while col < len(line_text) and units < pos.character:
        units += _utf16(line_text[col])
        col += 1
    return pos.line + 1, col + 1, line_text


def _location(span: Span, a: Analysis) -> lsp.Location:
    return lsp.Location(uri=_uri(span.path), range=_range(span, a.result.sources))


def _diagnostic(d: Diagnostic, a: Analysis) -> lsp.Diagnostic:
    return lsp.Diagnostic(range=_range(d.span, a.result.sources), message=d.message + (
        f"\nhelp: {d.help}" if d.help else ""), severity=lsp.DiagnosticSeverity.Error if d.is_error else
        lsp.DiagnosticSeverity.Warning, code=d.code, source="ntc")


def _occurrence(ls: NtsLanguageServer, uri: str, pos: lsp.Position) -> tuple[Analysis, Occurrence | None]:
    a = ls.analysis(uri)
    line, col, _ = _cursor(a.text, pos)
    return a, a.index.occurrence_at(_path(uri), line, col)


# ---------------------------------------------------------------- documents

@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: NtsLanguageServer, params: lsp.DidOpenTextDocumentParams):
    ls.schedule(params.text_document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: NtsLanguageServer, params: lsp.DidChangeTextDocumentParams):
    ls.schedule(params.text_document.uri, DEBOUNCE_S)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: NtsLanguageServer, params: lsp.DidSaveTextDocumentParams):
    ls.schedule(params.text_document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: NtsLanguageServer, params: lsp.DidCloseTextDocumentParams):
    uri = params.text_document.uri
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.analyses.pop(uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# ---------------------------------------------------------------- requests

@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@_guarded
def hover(ls: NtsLanguageServer, params: lsp.HoverParams):
    a = ls.analysis(params.text_document.uri)
    line, col, _ = _cursor(a.text, params.position)
    path = _path(params.text_document.uri)
    text = a.index.hover(path, line, col)
    if text is None:
        return None
    occ = a.index.occurrence_at(path, line, col)
    span = occ.span if occ is not None else a.index.expression_at(path, line, col).span
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=_range(span, a.result.sources))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@_guarded
def definition(ls: NtsLanguageServer, params: lsp.DefinitionParams):
    a, occ = _occurrence(ls, params.text_document.uri, params.position)
    if occ is None:
        return None
    if occ.symbol.kind == "import":
        target = _import_target(a, occ.symbol.node)
        return None if target is None else lsp.Location(uri=_uri(target), range=lsp.Range(
            start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)))
    return None if occ.symbol.decl is None else _location(occ.symbol.decl, a)


def _import_target(a: Analysis, imp) -> str | None:
    target = str(Path(imp.span.path).parent / imp.path)
    return target if target in a.result.sources else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
@_guarded
def references(ls: NtsLanguageServer, params: lsp.ReferenceParams):
    a, occ = _occurrence(ls, params.text_document.uri, params.position)
    if occ is None or occ.symbol.kind in ("import", "field"):
        return None
    return [_location(s, a) for s in a.index.references(occ.symbol, params.context.include_declaration)]


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
@_guarded
def prepare_rename(ls: NtsLanguageServer, params: lsp.PrepareRenameParams):
    a, occ = _occurrence(ls, params.text_document.uri, params.position)
    if occ is None:
        return None
    problem = a.index.rename_problem(occ.symbol, occ.symbol.name)
    if problem:
        raise JsonRpcInvalidRequest(problem)
    return _range(occ.span, a.result.sources)


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
@_guarded
def rename(ls: NtsLanguageServer, params: lsp.RenameParams):
    a, occ = _occurrence(ls, params.text_document.uri, params.position)
    if occ is None:
        raise JsonRpcInvalidRequest("no symbol to rename here")
    problem = a.index.rename_problem(occ.symbol, params.new_name)
    if problem:
        raise JsonRpcInvalidRequest(problem)
    changes: dict[str, list[lsp.TextEdit]] = {}
    for span in a.index.references(occ.symbol):
        changes.setdefault(_uri(span.path), []).append(
            lsp.TextEdit(range=_range(span, a.result.sources), new_text=params.new_name))
    return lsp.WorkspaceEdit(changes=changes)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@_guarded
def document_symbol(ls: NtsLanguageServer, params: lsp.DocumentSymbolParams):
    a = ls.analysis(params.text_document.uri)

    def symbol(name, kind, whole, at, children):
        return lsp.DocumentSymbol(name=name, kind=_SYMBOL_KINDS[kind], detail=kind,
                                  range=_range(whole, a.result.sources), selection_range=_range(at, a.result.sources),
                                  children=[symbol(*c) for c in children])
    return [symbol(*entry) for entry in a.index.outline()]


@server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                lsp.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS))
@_guarded
def semantic_tokens(ls: NtsLanguageServer, params: lsp.SemanticTokensParams):
    a = ls.analysis(params.text_document.uri)
    path = _path(params.text_document.uri)
    data: list[int] = []
    last_line = last_char = 0
    for occ in a.index.occurrences:
        if occ.span.path != path or occ.symbol.kind not in _TOKEN_OF_KIND or occ.span.line != occ.span.end_line:
            continue
        token, modifiers = _TOKEN_OF_KIND[occ.symbol.kind]
        bits = sum(1 << TOKEN_MODIFIERS.index(m) for m in modifiers + (["declaration"] if occ.is_decl else []))
        r = _range(occ.span, a.result.sources)
        line, char = r.start.line, r.start.character
        data += [line - last_line, char - (last_char if line == last_line else 0), r.end.character - char,
                 TOKEN_TYPES.index(token), bits]
        last_line, last_char = line, char
    return lsp.SemanticTokens(data=data)


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
@_guarded
def completion(ls: NtsLanguageServer, params: lsp.CompletionParams):
    uri = params.text_document.uri
    doc = ls.workspace.get_text_document(uri)
    line, col, line_text = _cursor(doc.source, params.position)
    items = complete(ls.analysis(uri).index, _path(uri), line_text, line, col)
    return lsp.CompletionList(is_incomplete=False, items=[lsp.CompletionItem(
        label=i.label, kind=_COMPLETION_KINDS.get(i.kind, lsp.CompletionItemKind.Text), detail=i.detail or None,
        documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=i.doc) if i.doc else None,
        insert_text=i.snippet, insert_text_format=lsp.InsertTextFormat.Snippet if i.snippet else None)
        for i in items])


@server.feature(lsp.TEXT_DOCUMENT_SIGNATURE_HELP, lsp.SignatureHelpOptions(trigger_characters=["(", ","]))
@_guarded
def signature(ls: NtsLanguageServer, params: lsp.SignatureHelpParams):
    uri = params.text_document.uri
    doc = ls.workspace.get_text_document(uri)
    line, col, _ = _cursor(doc.source, params.position)
    lines = doc.source.split("\n")
    before = "\n".join(lines[:line - 1] + [lines[line - 1][:col - 1] if line <= len(lines) else ""])
    found = signature_help(ls.analysis(uri).index, before)
    if found is None:
        return None
    return lsp.SignatureHelp(signatures=[lsp.SignatureInformation(
        label=found.label, documentation=found.doc or None,
        parameters=[lsp.ParameterInformation(label=p) for p in found.params])],
        active_signature=0, active_parameter=min(found.active, max(len(found.params) - 1, 0)))


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
@_guarded
def formatting(ls: NtsLanguageServer, params: lsp.DocumentFormattingParams):
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    try:
        formatted = format_source(text, _path(uri))
    except FormatError as exc:
        ls.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Info, message=(
            f"{uri} not formatted: it has {len(exc.diagnostics.errors)} syntax error(s)")))
        return []
    if formatted == text:
        return []
    lines = text.split("\n")
    end = lsp.Position(line=len(lines) - 1, character=_utf16(lines[-1]))
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    server.start_io()
