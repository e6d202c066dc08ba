"""The TextMate grammar (editors/archlang.tmLanguage.json), applied as an editor applies it:
at each position the pattern matching earliest wins, ties going to the first listed. Its
scopes are checked token by token on the book's model2 and on every spec in the repository
(every `#` comment is a comment, every keyword a keyword)."""
from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT, SPECS

GRAMMAR = json.loads((ROOT / "editors" / "archlang.tmLanguage.json").read_text("utf-8"))


def _rules():
    def flat(entry):
        if "include" in entry:
            yield from flat(GRAMMAR["repository"][entry["include"][1:]])
        elif "patterns" in entry:
            for p in entry["patterns"]:
                yield from flat(p)
        else:
            yield re.compile(entry["match"]), entry.get("name"), entry.get("captures", {})
    return [r for p in GRAMMAR["patterns"] for r in flat(p)]


RULES = _rules()


def tokens(line: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(line):
        best = None
        for rx, name, captures in RULES:
            m = rx.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, name, captures)
        if best is None:
            break
        m, name, captures = best
        if captures:
            out += [(m.group(int(k)), v["name"]) for k, v in captures.items() if m.group(int(k))]
        else:
            out.append((m.group(0), name))
        pos = m.end()
    return out


def test_scopes_of_model2():
    line = "model model2(x: 28×28×1) = Chain(Conv((5, 5), 1 => 8, relu, stride=2), # 24×24×8"
    assert tokens(line) == [
        ("model", "keyword.declaration.archlang storage.type.archlang"),
        ("model2", "entity.name.function.archlang"), ("x", "variable.other.archlang"),
        ("28", "constant.numeric.archlang"), ("×", "keyword.operator.shape.archlang"),
        ("28", "constant.numeric.archlang"), ("×", "keyword.operator.shape.archlang"),
        ("1", "constant.numeric.archlang"), ("=", "keyword.operator.assignment.archlang"),
        ("Chain", "support.function.construct.archlang"), ("Conv", "support.class.layer.archlang"),
        ("5", "constant.numeric.archlang"), ("5", "constant.numeric.archlang"),
        ("1", "constant.numeric.archlang"), ("=>", "keyword.operator.pair.archlang"),
        ("8", "constant.numeric.archlang"), ("relu", "variable.other.archlang"),
        ("stride", "variable.parameter.archlang"), ("=", "keyword.operator.assignment.archlang"),
        ("2", "constant.numeric.archlang"), ("# 24×24×8", "comment.line.number-sign.archlang")]


def test_imports_strings_shapes_and_booleans():
    assert tokens('import "std/resnet.arch"') == [
        ("import", "keyword.control.archlang"), ('"std/resnet.arch"', "string.quoted.double.archlang")]
    assert tokens("x: 28x28x1, bias=false") == [
        ("x", "variable.other.archlang"), ("28x28x1", "constant.numeric.shape.archlang"),
        ("bias", "variable.parameter.archlang"), ("=", "keyword.operator.assignment.archlang"),
        ("false", "constant.language.boolean.archlang")]


@pytest.mark.parametrize("path", sorted(SPECS.rglob("*.arch")), ids=lambda p: p.name)
def test_every_comment_and_definition_of_the_specs(path):
    for line in path.read_text("utf-8").splitlines():
        scoped = tokens(line)
        if "#" in line and '"' not in line:
            assert scoped[-1] == (line[line.index("#"):], "comment.line.number-sign.archlang")
        code = line.split("#")[0]
        for word in ("model", "block", "import", "param"):
            if re.match(rf"\s*{word}\b", code):
                assert scoped[0][0] == word and "keyword" in scoped[0][1]
