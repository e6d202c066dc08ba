"""The famous networks: totals equal torchvision's parameter counts exactly."""
from __future__ import annotations

import pytest

import archlang
from conftest import SPECS

# torchvision.models.<name>(): sum(p.numel() for p in model.parameters())
TORCHVISION = {
    "alexnet": 61_100_840, "vgg16": 138_357_544, "vgg19": 143_667_240,
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "resnet152": 60_192_808, "googlenet": 6_624_904, "mobilenet_v2": 3_504_872,
}


@pytest.mark.parametrize("name, params", sorted(TORCHVISION.items()))
def test_parameter_count_matches_torchvision(name, params):
    path = SPECS / "famous" / f"{name}.arch"
    result = archlang.check(path)
    assert result.ok, "\n".join(map(str, result.diagnostics))
    m = result.model(name)
    assert m.params == params
    assert tuple(m.input_shape) == (224, 224, 3) and tuple(m.output_shape) == (1000,)
    assert "torchvision" in path.read_text().split("\n\n")[0]      # the header names its reference


def test_resnet50_stage_shapes():
    m = archlang.check(SPECS / "famous/resnet50.arch").model("resnet50")
    shapes = [str(s) for s in m.stage_shapes()]
    for expected in ["56×56×256", "28×28×512", "14×14×1024", "7×7×2048"]:
        assert expected in shapes


def test_googlenet_inception_outputs():
    m = archlang.check(SPECS / "famous/googlenet.arch").model("googlenet")
    blocks = {}
    for info in m.layers:
        for scope in info.node.scope:
            # the last node of each block call is its output (4e and 5a share their arguments)
            blocks[scope.uid] = (scope.label, info.out)
    outs = [str(s) for label, s in blocks.values() if label.startswith("Inception(")]
    # 3a, 3b, 4a–4e, 5a, 5b (torchvision GoogLeNet)
    assert outs == ["28×28×256", "28×28×480", "14×14×512", "14×14×512", "14×14×512",
                    "14×14×528", "14×14×832", "7×7×832", "7×7×1024"]


def test_every_spec_checks():
    paths = sorted(SPECS.rglob("*.arch"))
    assert len(paths) >= 50, f"{len(paths)} specs under {SPECS}"
    for path in paths:
        result = archlang.check(path)
        if "as_printed" in path.name:
            assert not result.ok, path
        else:
            assert result.ok, f"{path}: " + "\n".join(map(str, result.diagnostics))
