"""Regression fixtures: every input that once broke archlang (tests/fixtures/crashers) now gets
its diagnostic, positioned, escaped, within a bound on its work (calls counted,
tests/counting.py), through the API and through the CLI.

Each fixture says what broke in its first line and the code it must now get in its second
(`# expect: E0204`).
"""
from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout

import pytest

import archlang
from archlang.cli import main
from archlang.present.render import render_text
from conftest import FIXTURES
from counting import calls, work_budget

CRASHERS = sorted((FIXTURES / "crashers").glob("*.arch"))


def _expected(path) -> str:
    return re.search(r"^# expect: (\S+)$", path.read_text(encoding="utf-8"), re.M).group(1)


def test_there_are_crashers():
    assert len(CRASHERS) >= 30


@pytest.mark.parametrize("path", CRASHERS, ids=lambda p: p.stem)
def test_crasher_gets_its_diagnostic_in_bounded_work(path):
    got = []
    work = calls(lambda: got.append(archlang.check(path)))
    result = got[0]
    assert result.errors, "a crasher is a wrong spec: it must be diagnosed"
    assert result.errors[0].code == _expected(path), str(result.errors[0])
    assert all(d.span is not None and d.code != "E0999" for d in result.diagnostics)
    assert all(render_text(d) for d in result.diagnostics)
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    assert work <= work_budget(text), f"{work:,} calls for {len(text):,} characters"


@pytest.mark.parametrize("path", CRASHERS, ids=lambda p: p.stem)
def test_crasher_through_the_cli(path):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["check", "--color", "never", str(path)])
    assert code == 1
    text = err.getvalue()
    assert "Traceback" not in text and f"error[{_expected(path)}]" in text
    # Nothing from the spec reaches the terminal unescaped, and no line is forged.
    assert all(ch.isprintable() or ch == "\n" for ch in text)
    assert "error[E0000]" not in text.replace("\\x0a", "\n").split("\n")[0]
    out2 = io.StringIO()
    with redirect_stdout(out2), redirect_stderr(io.StringIO()):
        assert main(["check", "--json", str(path)]) == 1
    doc = json.loads(out2.getvalue())
    assert doc["diagnostics"][0]["code"] == _expected(path)
