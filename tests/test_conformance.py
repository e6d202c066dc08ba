"""The shared conformance cases: expected figures computed by PyTorch, independent of archlang."""
from __future__ import annotations

import json

import pytest

import archlang
from conftest import CONFORMANCE

CASES = sorted(CONFORMANCE.glob("*.arch")) if CONFORMANCE.is_dir() else []


def _expected(path):
    return json.loads(path.with_suffix("").with_suffix(".expected.json").read_text())


def test_the_conformance_cases_are_present():
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", [c for c in CASES if not _expected(c).get("error")], ids=lambda p: p.stem)
def test_valid_case(path):
    expected = _expected(path)
    result = archlang.check(path)
    assert result.ok, "\n".join(map(str, result.diagnostics))
    model = result.model(expected["model"])
    assert model.params == expected["params"]
    assert list(model.output_shape) == expected["output_shape"]
    assert [list(s) for s in model.stage_shapes()] == expected["chain_output_shapes"]


@pytest.mark.parametrize("path", [c for c in CASES if _expected(c).get("error")], ids=lambda p: p.stem)
def test_invalid_case(path):
    expected = _expected(path)
    result = archlang.check(path)
    assert not result.ok
    first = result.errors[0]
    assert first.span is not None and first.span.line == expected["line"], str(first)
    assert first.help or first.label, "every conformance error explains itself"


# What each invalid case must say (the wording is ours; the facts are the case's `why`).
MESSAGES = {
    "bad_add": "adding 16×16×4 to 16×16×8",
    "bad_cat": "concatenating 14×14×4 with 16×16×4",
    "bad_channels": "declares 4 input channels but receives 8",
    "bad_dense": "Dense expects 784 inputs but receives 2,704 (26×26×4",
    "bad_division": "12 ÷ 5 is not a whole number",
    "bad_syntax_comma": "missing comma",
    "bad_unknown_layer": "unknown layer `Convv`",
    "bad_vector_conv": "a 2-D convolution applied to a vector",
    "bad_window": "a 5×5 window does not fit a 3×3 input without padding",
}


@pytest.mark.parametrize("name, text", sorted(MESSAGES.items()))
def test_invalid_case_message(name, text):
    result = archlang.check(CONFORMANCE / f"{name}.arch")
    assert text in result.errors[0].message


def test_unknown_layer_suggests_the_right_name():
    result = archlang.check(CONFORMANCE / "bad_unknown_layer.arch")
    assert result.errors[0].help == "did you mean `Conv`?"
