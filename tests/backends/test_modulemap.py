"""The backend's module map (backends/torch/modulemap.py) against the module it describes: for
every spec in specs/, its paths are the compiled module's `named_modules()`, every row of
check's table with parameters names a submodule holding exactly that many, and every row's
value is found where the map says, with check's shape. Modules are built on the meta device
(shapes without storage), so the largest specs cost no memory."""
from __future__ import annotations

import pytest
import torch

import archlang
from archlang.backends.torch import generate, load_source, torch_shape
from archlang.interpret import RowMap, row_values
from archlang.ir.groups import Group
from archlang.present.table import rows
from .helpers import attention_modules
from conftest import SPECS

SPEC_FILES = sorted(SPECS.glob("*/*.arch"))


def _models():
    for path in SPEC_FILES:
        result = archlang.check(path)
        for report in result.models:
            if report.ok:
                yield pytest.param(path, report.name, id=f"{path.parent.name}/{path.stem}:{report.name}")


MODELS = list(_models())
# `torch.normal(mean, std, size)` makes its tensor on the CPU whatever the default device, so
# a model with such an initialiser (a ViT's position embedding) runs on the CPU only.
ON_CPU = {"vit_b_16"}


@pytest.fixture(scope="module")
def built():
    cache = {}

    def build(path, name):
        if (path, name) not in cache:
            report = archlang.check(path).model(name)
            gen = generate([report], str(path))
            with torch.device("cpu" if name in ON_CPU else "meta"):
                cache[path, name] = report, gen.maps[name], load_source(gen, name)
        return cache[path, name]
    return build


def _numel(module, path: str) -> int:
    try:
        return sum(p.numel() for p in module.get_submodule(path).parameters())
    except AttributeError:                      # a learned tensor (Parameter(...)) is no submodule
        return module.get_parameter(path).numel()


def test_every_spec_is_covered():
    assert len(MODELS) >= 40 and {p.parent.name for p, _ in (m.values for m in MODELS)} >= {
        "book", "famous", "zoo"}       # std/ holds blocks, no models


@pytest.mark.parametrize("path, name", MODELS)
def test_the_map_is_the_modules_submodules(built, path, name):
    report, m, module = built(path, name)
    attention = attention_modules(module)
    names = [n for n, _ in module.named_modules()
             if n and not any(n.startswith(a + ".") for a in attention)]
    assert list(m.submodules) == names
    assert set(m.groups.values()) <= set(names)
    # A Parameter, and a Scale without β, is a tensor of its owner (`class_token`,
    # `layer_scale`): every other layer's path is a submodule.
    tensors = dict(module.named_parameters())
    assert {p for p in m.layers.values() if p not in tensors} <= set(names)


@pytest.mark.parametrize("path, name", MODELS)
def test_every_row_with_parameters_names_a_submodule_holding_them(built, path, name):
    report, m, module = built(path, name)
    copies = {}                                 # group → copies it stands for (folded repeats around it)

    def walk(g: Group, times: int) -> None:
        copies[g] = times
        for c in g.children:
            if isinstance(c, Group):
                walk(c, times * (g.times if g.folded else 1))
    walk(report.model.tree, 1)
    named = 0
    for row in rows(report, names=True):
        if row.group is None and row.params:
            assert row.name is not None, row.label             # a layer with weights is a module
        if row.name is None:
            continue
        times = copies[row.group] if row.group is not None else row.info.times
        if row.group is None and getattr(row.info, "tied_to", None):
            # a tied layer's module holds its owner's weight, counted at the owner (GPT-2's head)
            owner = getattr(module, row.info.tied_to)
            assert _numel(module, row.name) - owner.weight.numel() == row.params, row.label
            continue
        assert _numel(module, row.name) * times == row.params, (row.label, row.name)
        named += 1
    assert named >= sum(1 for i in report.layers if i.params)


@pytest.mark.parametrize("path, name", [  # the zoo's forwards take most of this file's time
    pytest.param(*m.values, id=m.id, marks=pytest.mark.slow) if m.values[0].parent.name == "zoo"
    else m for m in MODELS])
def test_every_rows_value_is_where_the_map_says(built, path, name):
    report, m, module = built(path, name)
    if len(report.inputs) > 1:
        pytest.skip("row values take one input")
    x = torch.zeros(1, *torch_shape(report.input_shape), device="cpu" if name in ON_CPU else "meta",
                    dtype=torch.float32 if report.input_shape.is_float else torch.long)  # token ids
    wanted = [i.index for i in report.layers]
    values = row_values(RowMap(report, m), module, x, wanted)
    for info in report.layers:
        assert tuple(values[info.index].shape) == (1, *torch_shape(info.out)), (info.index, str(info.layer))
