"""A failure inside archlang is an internal-error diagnostic at the input being worked on,
through the API and the CLI, never a bare traceback; the file-or-text rule of the API;
escaped output; JSON that survives lone surrogates."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import archlang
from archlang.diagnostics import Diagnostic, SpecError
from archlang.present.render import render_text
from conftest import ROOT

SPEC = "model m(x: 28×28×1) = Chain(\n  Conv((5, 5), 1 => 8, relu),\n  flatten,\n  Dense(4608, 10))\n"


@pytest.fixture
def broken_dense(monkeypatch):
    """Dense's shape rule fails as a bug would."""
    from archlang.layers.linear import Dense

    def infer(self, inputs):
        raise KeyError("a bug")
    monkeypatch.setattr(Dense, "infer", infer)


def test_check_reports_an_internal_error_at_the_layer(broken_dense):
    result = archlang.check_text(SPEC)
    (err,) = result.errors
    assert err.code == "E0999"
    assert err.message == "internal error: KeyError: 'a bug'"
    assert (err.span.line, err.span.text) == (4, "Dense(4608, 10)")
    # The innermost frame inside the package (the test's own `infer` is outside it).
    (note,) = err.notes
    assert note.startswith("raised at archlang/layers/base.py:") and note.endswith(" in typed")
    assert "bug in archlang" in err.help and "report" in err.help


def test_the_cli_prints_it_without_a_traceback(broken_dense, tmp_spec, capsys):
    from archlang.cli import main
    assert main(["check", "--color", "never", str(tmp_spec(SPEC))]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{tmp_spec(SPEC)}:4:3: error[E0999]: internal error: KeyError: 'a bug'" in err


def test_compile_reports_an_internal_error_as_a_spec_error(monkeypatch):
    import archlang.backends.torch as backend

    def generate(reports, path):
        raise IndexError("generator bug")
    monkeypatch.setattr(backend, "generate", generate)
    with pytest.raises(SpecError) as info:
        archlang.compile(SPEC)
    (err,) = info.value.diagnostics
    assert (err.code, err.message) == ("E0999", "internal error: IndexError: generator bug")


def test_recursion_and_memory_are_named_for_what_they_are():
    from archlang.diagnostics import internal_error
    assert internal_error(RecursionError()).code == "E0009"
    assert internal_error(MemoryError()).code == "E0206"


# ---- file or text ---------------------------------------------------------------------------
def test_a_path_is_a_file_and_a_str_is_a_file_only_when_it_names_an_arch_file(tmp_spec):
    from archlang.api import is_path
    assert is_path(Path("notes.txt")) and is_path("model1.arch")
    assert not is_path("# see model1.arch\nmodel m(x: 4) = relu") and not is_path("spec.txt")
    assert not is_path("model m(x: 4) = Dense(4, 2)")
    p = tmp_spec(SPEC, "model(1).arch")                       # `(` in a file name
    assert archlang.check(p).ok and archlang.check(str(p)).ok
    # One-line text that mentions a file is text unless it ends in `.arch`.
    assert archlang.check("model m(x: 4) = Dense(4, 2)  # like model1.arch, see").ok
    (err,) = archlang.check("# see model1.arch").errors
    assert err.code == "E0106" and "cannot read `# see model1.arch`" in err.message
    assert archlang.check_text("# see model1.arch").ok


def test_the_cli_reads_file_arguments_as_files(tmp_spec, capsys):
    from archlang.cli import main
    p = tmp_spec(SPEC, "net (copy).txt")
    assert main(["check", str(p)]) == 0


def test_a_nul_in_a_file_name_is_a_diagnostic():
    (err,) = archlang.check(Path("a\0b.arch")).errors
    assert err.code == "E0106" and "embedded null byte" in err.message


# ---- escaping -------------------------------------------------------------------------------
def test_text_from_the_spec_is_escaped_in_rendered_diagnostics():
    spec = 'model m(x: 8×8×1) = Conv((3, 3), 1 => 2, init="\x1b[2J\\nspec.arch:1:1: error[E0000]: x")'
    (err,) = archlang.check_text(spec).errors
    text = render_text(err)
    assert "\x1b" not in text and text.count("\n") == len(text.splitlines()) - 1
    assert 'unknown initialiser "\\x1b[2J\\x0aspec.arch:1:1: error[E0000]: x"' in text.splitlines()[0]


def test_json_output_survives_a_lone_surrogate_in_a_file_name(tmp_path):
    name = os.fsdecode(b"bad\xff.arch")                        # a surrogate after decoding
    path = tmp_path / name
    path.write_text("model m(x: 4) = Dense(5, 2)\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "archlang", "check", "--json", str(path)],
                         capture_output=True, env=env, timeout=120)
    assert out.returncode == 1, out.stderr.decode()
    doc = json.loads(out.stdout.decode("utf-8"))
    assert doc["diagnostics"][0]["code"] == "E0301"
    assert doc["diagnostics"][0]["file"].endswith("bad\udcff.arch")


def test_render_json_of_a_diagnostic_with_a_surrogate_serialises():
    from archlang.present.render import encodable, render_json
    from archlang.source import Source
    d = Diagnostic("E0100", "unknown name `\udcff`", Source("x\udcff.arch", "abc").span(0))
    text = encodable(json.dumps(render_json(d), ensure_ascii=False))
    assert json.loads(text.encode("utf-8"))["message"] == "unknown name `\udcff`"
