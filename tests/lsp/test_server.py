"""The language server driven over stdio with real LSP JSON-RPC messages, as an editor does.

Expected numbers are hand-computed: Conv((5, 5), 1 => 8) on 28×28×1 gives 24×24×8, has
5·5·1·8 + 8 = 208 parameters and 24·24·8·25 = 115,200 MACs, and sees a 5×5 window.
"""
from __future__ import annotations

import pytest

pytest.importorskip("pygls", reason="the language server needs pygls (make install)")

from conftest import FIXTURES  # noqa: E402

from .client import Client  # noqa: E402

WRONG = """\
import "blocks.arch"

model model2(x: 28×28×1) = Chain(
    Conv((5, 5), 1 => 8, relu),
    Conv((3, 3), 8 => 16, relu),
    flatten,
    Dense(400, 10),
)
"""
RIGHT = """\
import "blocks.arch"
import "std/resnet.arch"

model model2(x: 28×28×1) = Chain(
    Conv((5, 5), 1 => 8, relu),
    MaxPool((2, 2)),
    Twice(8),
    BasicBlock(8),
    flatten,
    Dense(1152, 10),
)
"""
BLOCKS = "block Twice(c) = Chain(Conv((3, 3), c => c, pad=1), Conv((3, 3), c => c, pad=1))\n"


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    (root / "blocks.arch").write_text(BLOCKS, "utf-8")
    main = root / "main.arch"
    main.write_text(WRONG, "utf-8")
    client = Client(root)
    yield client, main.as_uri(), root
    client.close()


@pytest.fixture(scope="module")
def right(session):
    """A document of its own holding RIGHT, so that the tests reading it do not depend on
    the edits earlier tests make to main.arch (each passes run alone)."""
    client, _, root = session
    (root / "right.arch").write_text(RIGHT, "utf-8")
    uri = (root / "right.arch").as_uri()
    client.open(uri, RIGHT, version=1)
    assert client.diagnostics(uri, version=1) == []      # checked: the server knows it now
    return client, uri, root


def test_capabilities(session):
    client, _, _ = session
    caps = client.capabilities
    for feature in ("hoverProvider", "definitionProvider", "completionProvider",
                    "documentFormattingProvider", "documentSymbolProvider"):
        assert caps.get(feature), feature


def test_diagnostics_as_you_type_with_related_labels(session):
    client, uri, _ = session
    client.open(uri, WRONG, version=1)
    (d,) = client.diagnostics(uri, version=1)
    assert d["code"] == "E0301" and d["severity"] == 1 and d["source"] == "archlang"
    assert d["message"].startswith("Dense expects 400 inputs but receives 7,744")
    assert "help:" in d["message"]
    # `400` on line 7 (0-based 6), columns 10..13
    assert d["range"] == {"start": {"line": 6, "character": 10}, "end": {"line": 6, "character": 13}}
    related = {r["message"]: r["location"]["range"]["start"]["line"] for r in d["relatedInformation"]}
    assert related == {"gives 7744": 5}
    # Typing the fix: the next version has no diagnostics.
    client.change(uri, RIGHT, version=2)
    assert client.diagnostics(uri, version=2) == []


def test_every_error_is_published(session):
    client, _, root = session
    text = (FIXTURES / "diagnostics" / "several_errors.arch").read_text("utf-8")
    uri = (root / "several.arch").as_uri()
    client.open(uri, text)
    codes = [(d["code"], d["range"]["start"]["line"]) for d in client.diagnostics(uri)]
    assert codes == [("E0300", 2), ("E0301", 4), ("E0202", 5)]


def _hover(client, uri, line, character):
    return client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": {"line": line, "character": character}})


def test_hover_on_a_layer(right):
    client, uri, _ = right
    h = _hover(client, uri, 4, 8)        # inside `Conv((5, 5), 1 => 8, relu)`
    text = h["contents"]["value"]
    assert "`Conv((5, 5), 1 => 8, relu)`" in text
    assert "layer 1 of `model2`: 28×28×1 → 24×24×8" in text
    assert "208 parameters" in text and "115,200 MACs" in text and "receptive field 5×5" in text
    assert "compiled as `conv1`" in text          # the backend's module map
    assert h["range"]["start"] == {"line": 4, "character": 4}
    # On the model's name: the whole model.
    h = _hover(client, uri, 3, 8)
    assert "model `model2`" in h["contents"]["value"] and "→ 10" in h["contents"]["value"]
    assert _hover(client, uri, 0, 0) is None or "import" not in _hover(client, uri, 0, 0)


def test_go_to_definition_of_blocks_and_imports(right):
    client, uri, root = right

    def where(line, character):
        return client.request("textDocument/definition", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})

    loc = where(6, 6)                     # Twice(8)
    assert loc["uri"] == (root / "blocks.arch").resolve().as_uri()
    assert loc["range"]["start"] == {"line": 0, "character": 6}
    loc = where(7, 6)                     # BasicBlock(8), from the standard library
    assert loc["uri"].endswith("/std/resnet.arch")
    loc = where(0, 10)                    # import "blocks.arch"
    assert loc["uri"] == (root / "blocks.arch").resolve().as_uri()
    assert where(4, 6) is None            # Conv is built in


def test_completion_with_signatures(right):
    client, uri, _ = right
    result = client.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": {"line": 5, "character": 4}})
    items = {i["label"]: i for i in result["items"]}
    assert items["Conv"]["detail"] == ("Conv(kernel, in => out, act=identity; stride, pad, "
                                       "dilation, groups, bias, init)")
    assert items["Dense"]["detail"] == "Dense(in => out, act=identity; bias, init)"
    assert items["model"]["kind"] == 14 and items["relu"]["kind"] == 3
    assert items["Twice"]["detail"] == "Twice(c)" and items["BasicBlock"]["detail"] == "BasicBlock(c)"


def test_formatting(session):
    client, _, root = session
    uri = (root / "messy.arch").as_uri()
    client.open(uri, "model m(x:784)=Chain(Dense(784=>10),softmax)  # out\n")
    edits = client.request("textDocument/formatting", {
        "textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": True}})
    (edit,) = edits
    assert edit["newText"] == "model m(x: 784) = Chain(Dense(784 => 10), softmax)  # out\n"
    assert edit["range"] == {"start": {"line": 0, "character": 0},
                             "end": {"line": 1, "character": 0}}


def test_document_symbols(session):
    client, _, root = session
    uri = (root / "outline.arch").as_uri()
    client.open(uri, BLOCKS + "model m(x: 8×8×2) = Twice(2)\ntrain m { epochs = 2 }\n"
                "param d in 1..3\nparam c = 2 * d\n")
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [(s["name"], s["kind"], s["detail"]) for s in symbols] == [
        ("Twice", 12, "(c)"), ("m", 5, "8×8×2 → 8×8×2"), ("m", 19, "training settings"),
        ("d", 13, "in 1..3"), ("c", 13, "= 2 * d")]
    assert symbols[1]["selectionRange"]["start"] == {"line": 1, "character": 6}


def test_a_diagnostic_in_an_imported_file_points_there(session):
    client, _, root = session
    (root / "broken.arch").write_text("block Bad(c) = Dense(c => c\n", "utf-8")
    # Imports resolve beside the file on disk (an editor opens saved files).
    path = root / "uses_broken.arch"
    path.write_text('import "broken.arch"\nmodel m(x: 4) = Dense(4, 2)\n', "utf-8")
    uri = path.as_uri()
    client.open(uri, path.read_text("utf-8"))
    (d,) = client.diagnostics(uri)
    assert d["code"] == "E0005" and d["message"].startswith("broken.arch:1: ")
    assert d["relatedInformation"][0]["location"]["uri"] == (root / "broken.arch").resolve().as_uri()


def test_check_imports_neither_the_server_nor_the_notebook():
    import subprocess
    import sys

    from .client import ROOT
    code = ("import sys; from archlang.cli import main; main(['check', 'specs/book/model2.arch']); "
            "print(sorted(m for m in ('pygls', 'lsprotocol', 'IPython', 'http.server', 'torch') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_warnings_of_the_analysis_are_published_too(session):
    # Two joined branches whose fields are centred differently: check warns W0401.
    client, _, root = session
    text = ("model m(x: 8×8×4) = Chain(\n    Parallel(+, Conv((3, 3), 4 => 4, pad=1),\n"
            "                Conv((3, 3), 4 => 4, pad=(2, 0, 1, 1))))\n")
    uri = (root / "misaligned.arch").as_uri()
    client.open(uri, text)
    (d,) = client.diagnostics(uri)
    assert d["code"] == "W0401" and d["severity"] == 2
    assert d["range"]["start"] == {"line": 1, "character": 13}
    assert len(d["relatedInformation"]) == 2
