"""Conformance cases: expected figures computed by PyTorch, independent of archlang.

The project keeps its own copy (tests/fixtures/conformance), always run. The workplace's shared
originals (../shared/conformance) are run as well when a checkout has them beside it; on a
plain clone those cases are skipped, saying why.
"""
from __future__ import annotations

import json

import pytest

import archlang
from conftest import CONFORMANCE, SHARED_CONFORMANCE

OWN = sorted(CONFORMANCE.glob("*.arch"))
SHARED = sorted(SHARED_CONFORMANCE.glob("*.arch")) if SHARED_CONFORMANCE.is_dir() else []
NO_SHARED = pytest.param(None, marks=pytest.mark.skip(
    reason=f"{SHARED_CONFORMANCE} is not beside this checkout; the project's copy in "
           "tests/fixtures/conformance runs instead"), id="shared-cases-absent")


def _expected(path):
    return json.loads(path.with_suffix("").with_suffix(".expected.json").read_text())


def _cases(error: bool):
    own = [pytest.param(c, id=c.stem) for c in OWN if bool(_expected(c).get("error")) == error]
    shared = [pytest.param(c, id="shared:" + c.stem) for c in SHARED
              if bool(_expected(c).get("error")) == error]
    return own + (shared or [NO_SHARED])


def test_the_conformance_cases_are_present():
    assert len(OWN) == 30


@pytest.mark.skipif(not SHARED, reason=f"{SHARED_CONFORMANCE} is not beside this checkout")
def test_the_copy_matches_the_shared_cases():
    assert [p.name for p in SHARED] == [p.name for p in OWN]
    for p in SHARED:
        assert (CONFORMANCE / p.name).read_text() == p.read_text(), p.name
        expected = p.with_suffix("").with_suffix(".expected.json")
        assert json.loads((CONFORMANCE / expected.name).read_text()) == _expected(p), expected.name


@pytest.mark.parametrize("path", _cases(error=False))
def test_valid_case(path):
    expected = _expected(path)
    result = archlang.check(path)
    assert result.ok, "\n".join(map(str, result.diagnostics))
    model = result.model(expected["model"])
    assert model.params == expected["params"]
    assert list(model.output_shape) == expected["output_shape"]
    assert [list(s) for s in model.stage_shapes()] == expected["chain_output_shapes"]


@pytest.mark.parametrize("path", _cases(error=True))
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
