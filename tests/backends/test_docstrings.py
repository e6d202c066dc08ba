"""A generated class's docstring names exactly its `__init__`'s parameters (Args section, in
order), for every class of every spec; what is not a parameter is said to be in the code."""
from __future__ import annotations

import ast
import inspect
import re

import pytest

import archlang
from archlang.backends.torch import generate

from conftest import SPECS

# Every spec with models: specs/std holds blocks (the zoo's models call them) and the
# `_as_printed` specs keep a book's errors.
SPEC_FILES = sorted(p for p in SPECS.rglob("*.arch")
                    if p.parent.name != "std" and not p.stem.endswith("_as_printed"))


def generated_classes(result, path: str) -> list[type]:
    """The classes of the module generated for a checked spec, defined (not instantiated)."""
    namespace = {"__name__": "generated"}
    exec(compile(generate(result.models, path).source, "<generated>", "exec"), namespace)
    return [v for v in namespace.values() if isinstance(v, type) and v.__module__ == "generated"]


def documented_args(doc: str) -> list[str]:
    """The names of a Google-style `Args:` section (none without one)."""
    lines = doc.splitlines()
    if "Args:" not in lines:
        return []
    names = []
    for line in lines[lines.index("Args:") + 1:]:
        if not line.strip():
            break
        match = re.match(r"    (\w+): \S", line)
        if match:
            names.append(match.group(1))
        else:
            assert line.startswith("        "), f"not an argument nor its continuation: {line!r}"
    return names


def init_parameters(cls: type) -> list[str]:
    return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(SPECS)))
def test_docstring_args_are_the_init_parameters(path):
    result = archlang.check(path)
    assert result.ok and result.models
    classes = generated_classes(result, str(path))
    assert len(classes) >= len(result.models)
    for cls in classes:
        doc = inspect.getdoc(cls)
        assert doc and "__doc__" in cls.__dict__, cls.__name__
        if "__init__" not in cls.__dict__:       # ChannelLayerNorm: nn.LayerNorm's own
            assert documented_args(doc) == [], cls.__name__
            continue
        assert documented_args(doc) == init_parameters(cls), (cls.__name__, doc)


def test_the_specs_are_found():
    assert len(SPEC_FILES) >= 38       # the parametrised test above is not vacuous


def test_vit_encoder_block_names_p_only_as_written_into_the_code():
    result = archlang.check(SPECS / "zoo/vit_b_16.arch")
    (block,) = [c for c in generated_classes(result, "vit_b_16.arch") if c.__name__ == "EncoderBlock"]
    doc = inspect.getdoc(block)
    assert init_parameters(block) == documented_args(doc) == ["d", "heads", "mlp"]
    assert "Written into its code: p = 0.0." in doc
    assert "    d: the spec's d; 768 in every call" in doc.splitlines()


def test_extra_arguments_are_documented_with_their_values():
    spec = ("block B(c) = Conv((3, 3), _ => c, pad=1)\n"
            "model m(x: 8×8×3) = Chain(B(4), B(4), B(8))")
    result = archlang.check_text(spec)
    (block,) = [c for c in generated_classes(result, "m.arch") if c.__name__ == "B"]
    doc = inspect.getdoc(block)
    assert documented_args(doc) == init_parameters(block) == ["c", "c_in"]
    assert "    c: the spec's c; 4 or 8" in doc.splitlines()
    assert "    c_in: the block's input channels (`_` in the spec); 3 or 4" in doc.splitlines()


def test_a_renamed_parameter_names_its_spec_spelling():
    spec = "block φ(Σ) = Conv((3, 3), 2 => Σ)\nmodel m(x: 8×8×2) = φ(3)"
    result = archlang.check_text(spec)
    (block,) = [c for c in generated_classes(result, "m.arch") if c.__name__ != "M"]
    assert init_parameters(block) == documented_args(inspect.getdoc(block))
    assert "the spec's Σ; 3 in every call" in inspect.getdoc(block)


@pytest.mark.parametrize("name", ["zoo/googlenet_aux.arch", "zoo/inception_v3.arch"])
def test_docstrings_are_wrapped(name):
    # A graph body's title and shapes, and BasicConv's arguments, are longer than a line.
    result = archlang.check(SPECS / name)
    source = generate(result.models, name).source
    lines = source.splitlines()
    docstrings = [n.body[0] for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef)]
    spans = [lines[d.lineno - 1:d.end_lineno] for d in docstrings]
    assert max(len(s) for s in spans) >= 8              # some were long enough to wrap
    assert all(len(line) <= 92 for span in spans for line in span)
