"""`ntc lsp` end to end: pytest-lsp starts the real server process and talks LSP to it over stdio, on the example
strategies, a broken file, a file being edited, an imported library and a very long file."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from nts.dsl.formatter import format_source

REPO = Path(__file__).resolve().parent.parent
RSI = REPO / "examples" / "rsi_bracket.nts"

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "nts.compiler.cli", "lsp"]))
async def client(lsp_client: LanguageClient):
    result = await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=REPO.as_uri()))
    lsp_client.server_capabilities = result.capabilities
    yield
    await lsp_client.shutdown_session()


async def open_doc(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="nts", version=1, text=path.read_text() if text is None else text)))
    await diagnostics_for(client, uri)
    return uri


async def diagnostics_for(client: LanguageClient, uri: str, timeout: float = 60.0):
    async def wait():
        while True:
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if uri in client.diagnostics:
                return client.diagnostics[uri]
    client.diagnostics.pop(uri, None)
    return await asyncio.wait_for(wait(), timeout)


def pos(line: int, col: int) -> lsp.Position:
    """An LSP position from the 1-based line and column an editor shows."""
    return lsp.Position(line=line - 1, character=col - 1)


def doc_id(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def find(path: Path, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """(line, col), 1-based, of the n-th occurrence of `needle` in a file."""
    hits = [(n, line.index(needle) + 1) for n, line in enumerate(path.read_text().split("\n"), 1) if needle in line]
    return hits[occurrence]


# ---------------------------------------------------------------- diagnostics

BROKEN = """strategy Broken
param fast: int = 10 in 2..50
instrument btc = "BTCUSDT.BINANCE"
data btc bars 1m
series f = ema(btc.close, fsat)
on bar btc:
    if f > :
        buy btc 1
    x = undefined_thing + 1
    if btc.close == na:
        pass
"""


async def test_diagnostics_match_ntc_check(client, tmp_path):
    path = tmp_path / "broken.nts"
    path.write_text(BROKEN)
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="nts", version=1, text=BROKEN)))
    got = await diagnostics_for(client, uri)
    check = subprocess.run([sys.executable, "-m", "nts.compiler.cli", "check", "--json", str(path)],
                           capture_output=True, text=True)
    expected = json.loads(check.stdout)["files"][0]["diagnostics"]
    assert len(expected) >= 3
    assert [(d.code, d.range.start.line + 1, d.range.start.character + 1, d.range.end.line + 1,
             d.range.end.character + 1) for d in got] == \
        [(d["code"], d["span"]["line"], d["span"]["col"], d["span"]["end_line"], d["span"]["end_col"]) for d in expected]
    assert all(d.message.startswith(e["message"]) for d, e in zip(got, expected))
    assert [d.severity for d in got] == [lsp.DiagnosticSeverity.Warning if e["severity"] == "warning" else
                                         lsp.DiagnosticSeverity.Error for e in expected]
    assert {d.severity for d in got} == {lsp.DiagnosticSeverity.Error, lsp.DiagnosticSeverity.Warning}


async def test_incremental_edits_update_diagnostics(client, tmp_path):
    path = tmp_path / "rsi.nts"
    shutil.copy(RSI, path)
    uri = await open_doc(client, path)
    assert not client.diagnostics[uri]
    line, col = find(path, "r < oversold")
    # Type `oversld` over `oversold`, as an editor sends it: one ranged change.
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=pos(line, col + 4), end=pos(line, col + 12)), text="oversld")]))
    got = await diagnostics_for(client, uri)
    assert [(d.code, d.range.start.line + 1) for d in got] == [("E0101", line)]
    assert "oversold" in got[0].message  # did you mean
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=pos(line, col + 4), end=pos(line, col + 11)), text="oversold")]))
    assert not await diagnostics_for(client, uri)


# ---------------------------------------------------------------- hover, completion, signatures

async def test_hover(client):
    uri = await open_doc(client, RSI)

    async def hover(needle, occurrence=0, offset=0):
        line, col = find(RSI, needle, occurrence)
        result = await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=pos(line, col + offset)))
        return result.contents.value if result else None

    assert "param oversold: float = 30 in 5..45" in await hover("oversold", 1)
    assert "RSI level that counts as oversold" in await hover("oversold", 1)
    assert 'instrument spy = "SPY.ARCA"' in await hover("spy", 2)
    text = await hover("rsi(")
    assert "rsi(source: series float, length: static int = 14) -> float" in text and "Relative strength" in text
    assert "series a: float = atr(spy, atr_len)" in await hover("a * stop_atr")
    assert "(bars field) close: float" in await hover("spy.close", 0, 4)
    assert "def shares_for_risk(equity_now: float, fraction: float, stop_distance: float) -> float" in \
        await hover("shares_for_risk(equity")
    assert "(local) qty: float" in await hover("qty = ")
    assert "equity: float" in await hover("(equity,", 0, 1)


def labels(result) -> set[str]:
    return {i.label for i in (result.items if hasattr(result, "items") else result)}


async def test_completion(client, tmp_path):
    path = tmp_path / "rsi.nts"
    shutil.copy(RSI, path)
    uri = await open_doc(client, path)
    line, col = find(path, "qty = shares")
    # a new line being typed in the handler: `    if spy.` and then `ema(`
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=pos(line, 1), end=pos(line, 1)), text="        x = spy.\n        \n")]))
    fields = await client.text_document_completion_async(lsp.CompletionParams(text_document=doc_id(uri), position=pos(line, 17)))
    assert labels(fields) == {"open", "high", "low", "close", "volume", "time"}
    items = await client.text_document_completion_async(lsp.CompletionParams(text_document=doc_id(uri), position=pos(line + 1, 9)))
    names = labels(items)
    assert {"if", "buy", "close", "log", "oversold", "stop_atr", "r", "band", "trades", "shares_for_risk", "spy",
            "equity", "qty", "sma", "atr", "position"} <= names
    sma = next(i for i in items.items if i.label == "sma")
    assert sma.insert_text == "sma(${1:source}, ${2:length})" and sma.insert_text_format == lsp.InsertTextFormat.Snippet
    band = find(path, "spy.close < band.lower")
    outputs = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc_id(uri), position=pos(band[0], band[1] + len("spy.close < band."))))
    assert {"upper", "middle", "lower"} <= labels(outputs)
    top = await client.text_document_completion_async(lsp.CompletionParams(text_document=doc_id(uri), position=pos(1, 1)))
    assert {"param", "instrument", "data", "series", "on", "def"} <= labels(top)


async def test_signature_help(client, tmp_path):
    path = tmp_path / "sig.nts"
    path.write_text("strategy S\ninstrument spy = \"SPY\"\ndata spy bars 1d\nseries e = ema(spy.close, \n")
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="nts", version=1, text=path.read_text())))
    help_ = await client.text_document_signature_help_async(lsp.SignatureHelpParams(text_document=doc_id(uri), position=pos(4, 27)))
    assert help_.signatures[0].label.startswith("ema(source: series float, length: static int")
    assert help_.active_parameter == 1


# ---------------------------------------------------------------- navigation across files

LIB = '''const ten = 10

def half(x: float) -> float:
    "Half of x."
    return x / 2
'''

MAIN = '''strategy UsesLib
import "lib/util.nts"

instrument spy = "SPY"
data spy bars 1d

series h = half(spy.close)

on bar spy:
    if spy.close > h + ten:
        buy spy half(4)
'''


async def test_definition_references_and_rename_across_an_import(client, tmp_path):
    (tmp_path / "lib").mkdir()
    lib = tmp_path / "lib" / "util.nts"
    lib.write_text(LIB)
    main = tmp_path / "main.nts"
    main.write_text(MAIN)
    uri = await open_doc(client, main)
    assert not client.diagnostics[uri]
    line, col = find(main, "half(spy")
    found = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc_id(uri), position=pos(line, col + 1)))
    assert found.uri == lib.as_uri() and found.range.start == pos(3, 5)
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc_id(uri), position=pos(line, col), context=lsp.ReferenceContext(include_declaration=True)))
    assert sorted((r.uri, r.range.start.line + 1) for r in refs) == sorted(
        [(lib.as_uri(), 3), (main.as_uri(), 7), (main.as_uri(), 11)])
    imp = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc_id(uri), position=pos(2, 10)))
    assert imp.uri == lib.as_uri()
    edit = await client.text_document_rename_async(lsp.RenameParams(text_document=doc_id(uri), position=pos(line, col), new_name="halve"))
    assert {u: len(e) for u, e in edit.changes.items()} == {lib.as_uri(): 1, main.as_uri(): 2}
    h_line, h_col = find(main, "h + ten")
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc_id(uri), position=pos(h_line, h_col), context=lsp.ReferenceContext(include_declaration=False)))
    assert [(r.range.start.line + 1, r.range.start.character + 1) for r in refs] == [(h_line, h_col)]
    with pytest.raises(Exception, match="keyword"):
        await client.text_document_rename_async(lsp.RenameParams(text_document=doc_id(uri), position=pos(h_line, h_col), new_name="buy"))
    with pytest.raises(Exception, match="built in"):
        await client.text_document_rename_async(lsp.RenameParams(text_document=doc_id(uri), position=pos(h_line - 3, 22), new_name="x"))


async def test_outline_and_semantic_tokens(client):
    uri = await open_doc(client, RSI)
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc_id(uri)))
    names = [s.name for s in symbols]
    assert names[:3] == ["RsiBracket", "length", "oversold"]
    assert {"shares_for_risk", "bar spy", "order expired", "stop"} <= set(names)
    fn = next(s for s in symbols if s.name == "shares_for_risk")
    assert [c.name for c in fn.children] == ["equity_now", "fraction", "stop_distance"]
    tokens = await client.text_document_semantic_tokens_full_async(
        lsp.SemanticTokensParams(text_document=doc_id(uri)))
    legend = client.server_capabilities.semantic_tokens_provider.legend
    lines = RSI.read_text().split("\n")
    line = char = 0
    decoded = []
    for k in range(0, len(tokens.data), 5):
        d_line, d_char, length, kind, _ = tokens.data[k:k + 5]
        line += d_line
        char = char + d_char if d_line == 0 else d_char
        decoded.append((lines[line][char:char + length], legend.token_types[kind]))
    assert ("length", "parameter") in decoded and ("rsi", "function") in decoded
    assert ("spy", "namespace") in decoded and ("close", "property") in decoded


async def test_formatting(client, tmp_path):
    path = tmp_path / "messy.nts"
    messy = "strategy  M\ninstrument spy=\"SPY\"\ndata spy bars 1d\non bar spy :  # go\n    x=(1+2)*3\n"
    path.write_text(messy)
    uri = await open_doc(client, path)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc_id(uri), options=lsp.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert len(edits) == 1 and edits[0].new_text == format_source(messy)
    assert edits[0].range.start == pos(1, 1) and edits[0].range.end == pos(6, 1)


# ---------------------------------------------------------------- surviving anything

async def test_survives_broken_huge_and_failing_requests(client, tmp_path):
    garbage = tmp_path / "garbage.nts"
    garbage.write_text("".join(f"on on on {i} ((( ::: \"\n" for i in range(300)))
    uri = await open_doc(client, garbage)
    assert client.diagnostics[uri]  # errors, capped, not a crash
    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=pos(5, 4)))
    assert hover is None
    completion = await client.text_document_completion_async(lsp.CompletionParams(text_document=doc_id(uri), position=pos(7, 3)))
    assert completion is not None
    await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc_id(uri), options=lsp.FormattingOptions(tab_size=4, insert_spaces=True)))

    # A request on a document that was never opened and is not on disk fails inside the server: it is answered
    # with an error and logged, and the next request is answered.
    missing = (tmp_path / "never_opened.nts").as_uri()
    with pytest.raises(Exception):
        await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(missing), position=pos(1, 1)))
    assert any("hover failed" in m.message for m in client.log_messages)

    long = tmp_path / "long.nts"
    body = "".join(f"    x{i} = ema(btc.close, 10) + {i}\n" for i in range(10_000))
    long.write_text('strategy Long\ninstrument btc = "BTC"\ndata btc bars 1m\non bar btc:\n' + body)
    long_uri = await open_doc(client, long)
    assert all(d.code.startswith("W") or d.code == "E0010" for d in client.diagnostics[long_uri])
    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(long_uri), position=pos(9000, 7)))
    assert "(local) x8995: float" in hover.contents.value
    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=pos(1, 1)))
    assert hover is None  # still answering
