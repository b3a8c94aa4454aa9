"""How fast `ntc lsp` answers, measured as an editor sees it: the real server process over stdio.

A generated 2,000-line strategy (params, series, functions and a long handler, like a big real one) is opened;
then hover and completion requests at spread-out positions are timed from request sent to response received.
Also: the time to the first diagnostics after opening, and after an edit (which includes the debounce).

    python bench/lsp.py [--lines 2000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient


def big_strategy(lines: int) -> str:
    out = ["strategy Big", '    "A generated strategy for the language server benchmark."', "",
           'instrument btc = "BTCUSDT.BINANCE"', "data btc bars 1m", 'data btc bars 1h as hourly', ""]
    for i in range(40):
        out.append(f'param p{i}: int = {10 + i} in 2..200 "window {i}"')
    out.append("")
    for i in range(120):
        out.append(f"series s{i} = ema(btc.close, p{i % 40}) - sma(hourly.close, p{(i + 1) % 40})")
    out.append("")
    for i in range(40):
        out += [f"def f{i}(x: float, y: float) -> float:", f'    "Helper {i}."', "    if x > y:",
                f"        return x - y * {i}", "    elif x < 0:", "        return 0.0", "    return x + y", ""]
    out += ["var count: int = 0", "", "on bar btc:"]
    i = 0
    while len(out) < lines - 2:
        out += [f"    v{i} = f{i % 40}(s{i % 120}, btc.close)",
                f"    if v{i} > s{(i + 7) % 120} and position(btc) == 0:",
                f'        buy btc 0.01 limit btc.close - 1 tag "e{i}"', "        count += 1"]
        i += 1
    out += ["    record c = count", ""]
    return "\n".join(out)


async def main(lines: int, requests: int) -> None:
    text = big_strategy(lines)
    folder = Path(tempfile.mkdtemp())
    path = folder / "big.nts"
    path.write_text(text)
    uri = path.as_uri()
    client = BaseLanguageClient("bench", "1")
    published: asyncio.Queue = asyncio.Queue()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: lsp.PublishDiagnosticsParams):
        published.put_nowait((time.perf_counter(), params))

    await client.start_io(sys.executable, "-m", "nts.compiler.cli", "lsp")
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    client.initialized(lsp.InitializedParams())
    t0 = time.perf_counter()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="nts", version=1, text=text)))
    t1, first = await published.get()
    n_lines = text.count("\n") + 1
    print(f"{n_lines} lines: first diagnostics {1e3 * (t1 - t0):.0f} ms after opening "
          f"({len(first.diagnostics)} diagnostics)")

    source = text.split("\n")
    spots = [(n, line.index("f") + 1) for n, line in enumerate(source) if line.startswith("    v")]
    spots = [spots[k * len(spots) // requests] for k in range(requests)]

    async def timed(make) -> list[float]:
        out = []
        for n, col in spots:
            start = time.perf_counter()
            await make(n, col)
            out.append(1e3 * (time.perf_counter() - start))
        return out

    hover = await timed(lambda n, col: client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=n, character=col))))
    completion = await timed(lambda n, col: client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=n, character=col + 1))))
    dot = await timed(lambda n, col: client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=lsp.Position(line=n, character=source[n].index("btc.") + 4))))
    for name, ms in (("hover", hover), ("completion", completion), ("completion after `btc.`", dot)):
        ms.sort()
        print(f"{name:>24}: p50 {statistics.median(ms):.1f} ms, p95 {ms[int(0.95 * len(ms))]:.1f} ms, "
              f"max {ms[-1]:.1f} ms over {len(ms)} requests")

    t0 = time.perf_counter()
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=lsp.Position(line=spots[0][0], character=4),
                            end=lsp.Position(line=spots[0][0], character=4)), text="bad + ")]))
    t1, after = await published.get()
    print(f"diagnostics after an edit: {1e3 * (t1 - t0):.0f} ms (debounce included), {len(after.diagnostics)} found")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.lines, args.requests))
