"""`archlang draw`: files it writes, exit codes, and life without Graphviz's `dot`."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import graphviz
import pytest

import archlang
from archlang.cli import main
from archlang.draw import DotMissing

from .helpers import ROOT, nodes, spec

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's `dot` is not installed (Debian package graphviz)")

BAD = """block B(c) = SkipConnection(Chain(Conv((3, 3), c => c, pad=1), relu), +)
model bad(x: 28×28×1) = Chain(
    Conv((5, 5), 1 => 8, relu),
    B(8),
    Conv((3, 3), 16 => 16, relu),
    flatten,
    Dense(100, 10),
)
"""


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which `dot` cannot be found."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


def test_dot_output_needs_no_graphviz_binary(tmp_path, no_dot):
    out = tmp_path / "m.dot"
    assert main(["draw", spec("book/model2.arch"), "-o", str(out)]) == 0
    assert out.read_text().startswith("digraph model2 {")


def test_without_o_the_dot_source_goes_to_stdout(capsys):
    assert main(["draw", spec("book/model2.arch"), "--rankdir", "LR"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph model2 {") and "rankdir=LR" in out


@needs_dot
@pytest.mark.parametrize("name", ["book/model2.arch", "famous/resnet18.arch"])
def test_renders_svg(tmp_path, name):
    out = tmp_path / "x.svg"
    assert main(["draw", spec(name), "-o", str(out)]) == 0
    text = out.read_text()
    assert "<svg" in text and "Conv((" in text


@needs_dot
def test_renders_png_and_pdf(tmp_path):
    png, pdf = tmp_path / "x.png", tmp_path / "x.pdf"
    assert main(["draw", spec("famous/googlenet.arch"), "--collapse", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["draw", spec("book/model2.arch"), "-o", str(pdf)]) == 0
    assert pdf.read_bytes()[:5] == b"%PDF-"


@needs_dot
def test_svg_for_jupyter():
    report = archlang.check(spec("book/model2.arch")).model()
    text = archlang.draw.svg(report)
    assert "<svg" in text and "5,386 params" in text


def test_rendering_without_dot_says_which_package_and_exits_2(tmp_path, no_dot, capsys):
    out = tmp_path / "m.png"
    assert main(["draw", spec("book/model2.arch"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "`dot`" in err and "Debian package `graphviz`" in err and "-o NAME.dot" in err
    assert not out.exists()


def test_a_dot_that_vanishes_while_rendering(tmp_path, monkeypatch, capsys):
    """graphviz's own ExecutableNotFound is reported the same way."""
    def pipe(self, *args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(graphviz.Digraph, "pipe", pipe)
    assert main(["draw", spec("book/model2.arch"), "-o", str(tmp_path / "m.svg")]) == 2
    assert "Debian package `graphviz`" in capsys.readouterr().err
    with pytest.raises(DotMissing):
        archlang.draw.svg(archlang.check(spec("book/model2.arch")).model())


def test_a_spec_with_errors_prints_diagnostics_exits_1_and_marks_the_failing_layers(tmp_path, capsys):
    path = tmp_path / "bad.arch"
    path.write_text(BAD)
    out = tmp_path / "bad.dot"
    assert main(["draw", str(path), "-o", str(out), "--color", "never"]) == 1
    err = capsys.readouterr().err
    assert "error[E0300]" in err and "error[E0301]" in err and "2 errors" in err
    src = out.read_text()
    assert src.count("shape check failed here") == 2
    assert "failed check" in src                                   # in the legend


def test_a_spec_that_does_not_parse_exits_1_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "syn.arch"
    path.write_text("model m(x: 3) = Chain(Dense(3, 4), foo(\n")
    out = tmp_path / "syn.dot"
    assert main(["draw", str(path), "-o", str(out), "--color", "never"]) == 1
    assert "error[E0005]" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("argv", [
    ["draw", "no/such/file.arch", "-o", "x.dot"],
    ["draw", spec("book/model2.arch"), "-o", "x.jpg"],
    ["draw", spec("book/model2.arch"), "--model", "nope"],
    ["draw", spec("book/model2.arch"), "--depth", "0"],
    ["draw", spec("book/model2.arch"), "--rankdir", "XY"],
])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2


def test_several_models_draw_the_first_or_the_one_named(tmp_path, capsys):
    out = tmp_path / "s.dot"
    assert main(["draw", spec("book/sizes.arch"), "-o", str(out)]) == 0
    assert "drawing `conv_pad2`" in capsys.readouterr().err
    assert main(["draw", spec("book/sizes.arch"), "-m", "maxpool_2x2", "-o", str(out)]) == 0
    assert "digraph maxpool_2x2" in out.read_text()


def test_options_reach_the_drawing(tmp_path):
    out = tmp_path / "r.dot"
    argv = ["draw", spec("famous/resnet18.arch"), "-o", str(out)]
    assert main(argv + ["--collapse"]) == 0
    assert len(nodes(out.read_text())) == 15
    assert main(argv + ["--no-merge-activations"]) == 0
    assert len(nodes(out.read_text())) == 62
    assert main(argv + ["--fold-repeats", "--no-edge-shapes"]) == 0
    assert len(nodes(out.read_text())) == 49 and '[label=" ' not in out.read_text()


def test_archlang_draw_is_a_function_even_after_importing_the_module():
    import archlang.draw  # noqa: F401  (the submodule must not replace the function)
    assert callable(archlang.draw) and callable(archlang.draw.svg)
    archlang.draw(spec("book/model2.arch"))
    assert callable(archlang.draw)


def test_draw_never_imports_torch(tmp_path):
    code = ("import sys; from archlang.cli import main; "
            f"rc = main(['draw', {spec('famous/resnet18.arch')!r}, '-o', {str(tmp_path / 'r.dot')!r}]); "
            "assert rc == 0; assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
