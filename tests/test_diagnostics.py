"""Diagnostics as snapshots: each fixture's rendered text (colour off) is checked in beside it.

The fixtures are a catalogue of bad inputs, named by kind: syntax_, names_, shapes_, sizes_,
imports_, train_ (the last are rendered as `archlang train` reports them: the spec's train
section validated setting by setting). Regenerate after a deliberate wording change with
ARCHLANG_UPDATE_SNAPSHOTS=1, then read the diff: the snapshots are the user interface.
"""
from __future__ import annotations

import json
import os

import pytest

import archlang
from archlang.api import train_settings
from archlang.present.render import render_json, render_text
from conftest import FIXTURES

CASES = sorted((FIXTURES / "diagnostics").glob("*.arch"))


def _diagnostics(path):
    """What a user sees for the fixture: check's diagnostics; for train_ fixtures, those of
    the train section too."""
    result = archlang.check(path)
    if not path.stem.startswith("train_") or not result.ok:
        return result.diagnostics
    with pytest.raises(archlang.SpecError) as info:
        train_settings(path)
    return info.value.diagnostics


def _rendered(path) -> str:
    text = "\n\n".join(render_text(d) for d in _diagnostics(path))
    # Snapshots name the fixture relative to the fixtures folder, not this machine's path.
    return text.replace(str(path.parent) + os.sep, "") + "\n"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_snapshot(path):
    snap = path.with_suffix(".expected")
    got = _rendered(path)
    if os.environ.get("ARCHLANG_UPDATE_SNAPSHOTS") or not snap.exists():
        snap.write_text(got, encoding="utf-8")
    assert got == snap.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_error_has_a_position_and_renders_as_json(path):
    diagnostics = _diagnostics(path)
    assert any(d.is_error for d in diagnostics)
    for d in diagnostics:
        assert d.span is not None
        text = render_text(d).splitlines()[0]
        assert text.startswith(f"{d.span.source.path}:{d.span.line}:{d.span.column}: "
                               f"{d.severity}[{d.code}]: ")
        doc = render_json(d)
        json.dumps(doc)
        assert (doc["line"], doc["column"], doc["code"]) == (d.span.line, d.span.column, d.code)


def test_several_errors_are_reported_at_once():
    # A channel mismatch still yields a well-defined output, so the Dense mismatch after it
    # is found too; the bad Dropout is a third, independent error. Listed in source order.
    result = archlang.check(FIXTURES / "diagnostics/several_errors.arch")
    assert [(d.code, d.span.line) for d in result.errors] == [("E0300", 3), ("E0301", 5), ("E0202", 6)]


def test_the_catalogue_covers_every_kind_of_mistake():
    kinds = {}
    for p in CASES:
        kind = p.stem.split("_")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    assert len(CASES) >= 60
    assert all(kinds.get(k, 0) >= 5 for k in ("syntax", "names", "shapes", "sizes", "train")), kinds
    assert kinds.get("imports", 0) >= 4, kinds
