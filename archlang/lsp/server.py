"""The language server (`archlang lsp`): the Language Server Protocol over stdio, on pygls.

Diagnostics as you type (every one of the file, with their labels as related information),
hover (a layer's shapes, parameters, MACs and receptive field), go to definition (blocks and
imports), completion (layers and keywords with their signatures), formatting (`archlang fmt`)
and the outline (models, blocks, train sections). The answers come from features.py.

Messages are bounded before they are read: a frame whose Content-Length passes
MAX_MESSAGE_BYTES is read in small pieces and dropped (BoundedStdin), and the editor is told
which message was refused, rather than the server asking the system for that much memory
(`Content-Length: 10^12` once ended the server with "the spec needs more memory").
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..diagnostics import Diagnostic
from ..limits import MAX_FILE_BYTES
from ..source import Span
from .features import Document

SYMBOL_KINDS = {"model": lsp.SymbolKind.Class, "block": lsp.SymbolKind.Function,
                "train": lsp.SymbolKind.Object, "param": lsp.SymbolKind.Variable}
# A message carries at most one spec (MAX_FILE_BYTES), which JSON may escape to six times its
# size (\u0001); anything larger is not a message this server can use.
MAX_MESSAGE_BYTES = 8 * MAX_FILE_BYTES
MAX_HEADER_LINE = 1 << 16          # bytes of one header line (`Content-Length: 123`)
TOO_LARGE = "$/archlang/messageTooLarge"     # what the reader hands on instead of such a frame
COMPLETION_KINDS = {"keyword": lsp.CompletionItemKind.Keyword,
                    "layer": lsp.CompletionItemKind.Class,
                    "activation": lsp.CompletionItemKind.Function,
                    "construct": lsp.CompletionItemKind.Struct,
                    "function": lsp.CompletionItemKind.Function,
                    "block": lsp.CompletionItemKind.Module}


class ArchServer(LanguageServer):
    def __init__(self):
        super().__init__("archlang", __version__)
        self.documents: dict[str, Document] = {}

    def analyse(self, uri: str) -> Document | None:
        """Check the editor's text of uri (cached per version) and publish its diagnostics."""
        doc = self.workspace.get_text_document(uri)
        cached = self.documents.get(uri)
        if cached is not None and cached.text == doc.source:
            return cached
        if len(doc.source.encode("utf-8", "replace")) > MAX_FILE_BYTES:
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, [
                lsp.Diagnostic(lsp.Range(lsp.Position(0, 0), lsp.Position(0, 1)),
                               f"the spec is larger than {MAX_FILE_BYTES:,} bytes; not checked",
                               severity=lsp.DiagnosticSeverity.Warning, source="archlang")]))
            return None
        path = to_fs_path(uri) if uri.startswith("file:") else uri
        document = Document(path or uri, doc.source)
        self.documents[uri] = document
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri, [to_lsp(d, document, uri) for d in document.diagnostics], version=doc.version))
        return document


def span_range(span: Span, document: Document | None = None) -> lsp.Range:
    from .features import Lines
    lines = document.lines if document is not None and span.source is document.source \
        else Lines(span.source.text)
    (l0, c0), (l1, c1) = lines.position(span.start), lines.position(max(span.end, span.start))
    return lsp.Range(lsp.Position(l0, c0), lsp.Position(l1, c1))


def span_location(span: Span, document: Document, uri: str) -> lsp.Location:
    here = span.source is document.source
    target = uri if here else from_fs_path(str(Path(span.source.path).resolve()))
    return lsp.Location(target, span_range(span, document))


def to_lsp(d: Diagnostic, document: Document, uri: str) -> lsp.Diagnostic:
    """A Diagnostic as LSP's: the primary span (or the file's start when it lies in an imported
    file), the label, notes and help in the message, the labels as related information."""
    related = [lsp.DiagnosticRelatedInformation(span_location(lab.span, document, uri),
                                                lab.message or "here") for lab in d.labels]
    message = d.message + (f" ({d.label})" if d.label else "")
    message += "".join(f"\nnote: {n}" for n in d.notes) + (f"\nhelp: {d.help}" if d.help else "")
    if d.span is not None and d.span.source is document.source:
        rng = span_range(d.span, document)
    else:
        rng = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        if d.span is not None:
            related.insert(0, lsp.DiagnosticRelatedInformation(
                span_location(d.span, document, uri), d.label or "the error is here"))
            message = f"{Path(d.span.source.path).name}:{d.span.line}: {message}"
    severity = lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning
    return lsp.Diagnostic(rng, message, severity=severity, code=d.code, source="archlang",
                          related_information=related or None)


class BoundedStdin:
    """The input stream as pygls reads it (a header line with readline(), a frame's body with
    read(Content-Length)), bounded: a body over `limit` bytes is read in pieces and dropped,
    and a TOO_LARGE notification naming its size takes its place."""

    def __init__(self, stream, limit: int = MAX_MESSAGE_BYTES):
        self.stream = stream
        self.limit = limit

    def readline(self) -> bytes:
        return self.stream.readline(MAX_HEADER_LINE)

    def read(self, n: int) -> bytes:
        if n <= self.limit:
            return self.stream.read(n)
        left = n
        while left > 0:
            piece = self.stream.read(min(left, 1 << 16))
            if not piece:                   # the client stopped mid-frame: end, as pygls does
                return b""
            left -= len(piece)
        return json.dumps({"jsonrpc": "2.0", "method": TOO_LARGE,
                           "params": {"bytes": n, "limit": self.limit}}).encode()


server = ArchServer()


@server.feature(TOO_LARGE)
def message_too_large(ls: ArchServer, params):
    ls.window_show_message(lsp.ShowMessageParams(
        lsp.MessageType.Error,
        f"archlang: a message of {params.bytes:,} bytes (its Content-Length) was dropped: "
        f"the language server reads messages of up to {params.limit:,} bytes"))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ArchServer, params: lsp.DidOpenTextDocumentParams):
    ls.analyse(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: ArchServer, params: lsp.DidChangeTextDocumentParams):
    ls.analyse(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: ArchServer, params: lsp.DidSaveTextDocumentParams):
    ls.documents.pop(params.text_document.uri, None)        # imported files may have changed
    ls.analyse(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ArchServer, params: lsp.DidCloseTextDocumentParams):
    ls.documents.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(params.text_document.uri, []))


def _at(ls: ArchServer, params, question: str):
    """(document, the document's answer to `question` at the cursor), or (document, None)."""
    document = ls.analyse(params.text_document.uri)
    if document is None:
        return None, None
    offset = document.lines.offset(params.position.line, params.position.character)
    return document, getattr(document, question)(offset)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: ArchServer, params: lsp.HoverParams):
    document, found = _at(ls, params, "hover")
    if found is None:
        return None
    text, span = found
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), span_range(span, document))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: ArchServer, params: lsp.DefinitionParams):
    document, target = _at(ls, params, "definition")
    if target is None:
        return None
    if isinstance(target, Span):
        return span_location(target, document, params.text_document.uri)
    return lsp.Location(from_fs_path(str(target)),
                        lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                lsp.CompletionOptions(trigger_characters=["(", ","]))
def completion(ls: ArchServer, params: lsp.CompletionParams):
    document = ls.analyse(params.text_document.uri)
    if document is None:
        return None
    items = [lsp.CompletionItem(label, kind=COMPLETION_KINDS[kind], detail=sig,
                                documentation=doc or None)
             for label, kind, sig, doc in document.completions()]
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: ArchServer, params: lsp.DocumentFormattingParams):
    from ..syntax.format import FormatError, format_source
    document = ls.analyse(params.text_document.uri)
    if document is None:
        return None
    try:
        text = format_source(document.source)
    except FormatError:
        return None
    if not isinstance(text, str) or text == document.text:
        return []
    end = document.lines.position(len(document.text))
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), lsp.Position(*end)), text)]


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbol(ls: ArchServer, params: lsp.DocumentSymbolParams):
    document = ls.analyse(params.text_document.uri)
    if document is None:
        return []
    return [lsp.DocumentSymbol(name=name, kind=SYMBOL_KINDS[kind], detail=detail,
                               range=span_range(span, document),
                               selection_range=span_range(name_span, document))
            for kind, name, detail, span, name_span in document.symbols()]


def main() -> int:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    server.start_io(BoundedStdin(sys.stdin.buffer))
    return 0
