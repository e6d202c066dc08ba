"""`archlang fmt`: the canonical layout, comments kept, idempotent, meaning-preserving.

The oracle for "meaning" is the checker: before and after formatting, every model has the same
parameters and the same nodes (layer as written, input and output shapes, wiring), and the file
the same diagnostics (code and message; their lines move).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archlang.check import check_source
from archlang.diagnostics import Diagnostic
from archlang.present.render import render_text
from archlang.source import Source
from archlang.syntax import parse
from archlang.syntax.format import format_text
from archlang.syntax.parser import lark_parser

from conftest import FIXTURES, ROOT, SPECS
from generator import spec as generated_spec

ALL_SPECS = sorted(SPECS.rglob("*.arch")) + sorted((ROOT / "tests").rglob("*.arch")) \
    + sorted((ROOT / "archlang" / "std").glob("*.arch"))


def meaning(text: str, path: str) -> tuple:
    """What the checker makes of a text: per model its params and every node; the diagnostics."""
    result = check_source(Source(path, text))
    models = tuple((m.name, m.params, m.state, tuple(
        (str(i.layer), str(i.out), tuple(str(s) for s in i.inputs), tuple(i.node.inputs))
        for i in m.infos)) for m in result.models)
    # Messages quote the source as written (`12/5`): compare them without spaces.
    return models, tuple((d.code, "".join(d.message.split())) for d in result.diagnostics)


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_in_the_repo_keeps_its_meaning_and_is_stable(path):
    text = path.read_text("utf-8")
    out = format_text(text, str(path))
    if isinstance(parse(Source(str(path), text)), Diagnostic):
        assert isinstance(out, Diagnostic)
        (expected,) = check_source(Source(str(path), text)).diagnostics
        assert render_text(out) == render_text(expected)
        return
    assert isinstance(out, str)
    assert format_text(out, str(path)) == out                       # idempotent
    # Same graph, same errors. (The crashers take check seconds each, by design: for them the
    # formatter's own check, the same syntax tree and comments, stands.)
    if "crashers" not in path.parts:
        assert meaning(out, str(path)) == meaning(text, str(path))
    if path.is_relative_to(SPECS):       # (a 3,000-term sum in a crasher has nowhere to break)
        assert all(len(line) <= 100 or "#" in line for line in out.splitlines())
    # Every comment of the original is still there, in order.
    comments = [ln.strip()[ln.strip().index("#"):] for ln in text.splitlines() if "#" in ln]
    kept = [ln.strip()[ln.strip().index("#"):] for ln in out.splitlines() if "#" in ln]
    assert [c.split() for c in comments] == [c.split() for c in kept]


def test_the_repo_has_specs_to_format():
    assert len(ALL_SPECS) >= 40


# ---- the layout, case by case: tests/fixtures/format/NAME.arch → NAME.expected ------------
LAYOUTS = sorted((FIXTURES / "format").glob("*.arch"))


@pytest.mark.parametrize("path", LAYOUTS, ids=lambda p: p.stem)
def test_layout(path):
    expected = path.with_suffix(".expected").read_text("utf-8")
    assert format_text(path.read_text("utf-8")) == expected
    assert format_text(expected) == expected


def test_the_layout_cases_are_there():
    assert len(LAYOUTS) >= 13


def test_syntax_error_gives_the_check_diagnostic():
    text = "model m(x: 28×28×1) = Chain(Conv((5, 5) 1 => 8), Dense(10))\n"
    out = format_text(text, "bad.arch")
    (expected,) = check_source(Source("bad.arch", text)).diagnostics
    assert isinstance(out, Diagnostic) and out.code == "E0003"
    assert render_text(out) == render_text(expected)


def test_a_long_chain_formats():
    # Its speed (three parses and linear work besides) is measured in bench/, not here: a
    # timed assertion flakes on a loaded machine.
    body = ",\n".join("Dense(8, 8, relu)" for _ in range(2_000))
    text = f"model m(x: 8) = Chain({body})\n"
    out = format_text(text)
    assert out.count("\n") == 2_002 and out.splitlines()[1] == "    Dense(8, 8, relu),"


def test_unbracketed_nesting_formats_or_is_refused_without_a_traceback():
    out = format_text("model m(x: 4) = Dense(4, " + "-" * 3_001 + "1)\n")
    assert out == "model m(x: 4) = Dense(\n    4,\n    " + "-" * 3_001 + "1,\n)\n"
    out = format_text("model m(x: 4) = Dense(4, " + "-" * 20_000 + "1)\n")
    assert isinstance(out, Diagnostic) and out.code == "E0009"


# ---- generated specs: the one generator's (tests/generator.py), then random whitespace and
# comments between tokens ----
def spec():
    return st.randoms(use_true_random=False).map(generated_spec)


@st.composite
def rewritten(draw):
    """A generated spec with its tokens re-joined by random whitespace and comments."""
    text = draw(spec())
    tokens = [t for t in lark_parser().lex(text)]
    gaps = st.sampled_from(["", " ", "  ", "\n", "\n\n", "\n   ", " # note\n", "\n# own line\n",
                            "   #x\n\n"])
    out = []
    for a, b in zip(tokens, tokens[1:] + [None]):
        out.append(str(a))
        if b is None:
            break
        gap = draw(gaps)
        if not gap.strip() and str(a)[-1:].isalnum() and str(b)[:1].isalnum():
            gap = " "                        # keep `model m` and `8 x` apart
        out.append(gap)
    return "".join(out) + draw(st.sampled_from(["", "\n", "\n# end\n"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rewritten())
def test_generated_specs_format_stably_without_changing_meaning(text):
    out = format_text(text, "gen.arch")
    assert isinstance(out, str), out
    assert format_text(out, "gen.arch") == out
    assert meaning(out, "gen.arch") == meaning(text, "gen.arch")
    assert out.count("#") == text.count("#")


# ---- the command ---------------------------------------------------------------------------
def fmt(*args, stdin=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "archlang", "fmt", *args], capture_output=True,
                          text=True, env=env, input=stdin, timeout=120)


def test_cli_check_diff_and_write(tmp_path):
    p = tmp_path / "m.arch"
    p.write_text("model m(x:784)=Dense(784=>10)   # out\n", "utf-8")
    r = fmt(str(p), "--check")
    assert r.returncode == 1 and f"would reformat {p}" in r.stderr
    r = fmt(str(p), "--diff")
    assert r.returncode == 0
    assert "+model m(x: 784) = Dense(784 => 10)  # out" in r.stdout
    assert p.read_text("utf-8") == "model m(x:784)=Dense(784=>10)   # out\n"
    r = fmt(str(p))
    assert r.returncode == 0 and "1 file reformatted, 0 unchanged" in r.stderr
    assert p.read_text("utf-8") == "model m(x: 784) = Dense(784 => 10)  # out\n"
    assert fmt(str(p), "--check").returncode == 0


def test_cli_bad_input_same_diagnostics_as_check_and_untouched(tmp_path):
    p = tmp_path / "bad.arch"
    text = "model m(x: 784) = Chain(Dense(784 => 10),\n"
    p.write_text(text, "utf-8")
    before = p.stat().st_mtime_ns
    r = fmt(str(p), "--color", "never")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    check = subprocess.run([sys.executable, "-m", "archlang", "check", str(p), "--color", "never"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == check.returncode == 1
    assert "error[E0005]" in r.stderr
    assert r.stderr.split("\n1 error\n")[0] == check.stderr.split("\n1 error\n")[0]
    assert p.read_text("utf-8") == text and p.stat().st_mtime_ns == before


def test_cli_stdin_and_usage_errors(tmp_path):
    r = fmt("-", stdin="model m(x:4)=Dense(4,2)")
    assert r.returncode == 0 and r.stdout == "model m(x: 4) = Dense(4, 2)\n"
    assert fmt(str(tmp_path / "missing.arch")).returncode == 2
    assert fmt(str(tmp_path)).returncode == 2
