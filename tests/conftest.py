"""Shared test helpers: paths, and checking spec text or files."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The project's own copy of the conformance cases (figures computed by PyTorch), always run;
# the shared originals beside a checkout of the workplace are run too when they are there.
CONFORMANCE = FIXTURES / "conformance"
SHARED_CONFORMANCE = ROOT.parent / "shared" / "conformance"


def check_text(text: str):
    import archlang
    return archlang.check(text)


def model_of(text: str, name: str | None = None):
    """The checked model of a spec that must check."""
    result = check_text(text)
    assert result.ok, "\n".join(str(d) for d in result.diagnostics)
    return result.model(name)


def errors_of(text: str):
    result = check_text(text)
    assert not result.ok, "expected the spec to be rejected"
    return result.errors


def shape(report):
    return tuple(report.output_shape)


@pytest.fixture
def tmp_spec(tmp_path):
    def write(text: str, name: str = "spec.arch") -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return p
    return write
