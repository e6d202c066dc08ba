"""Structural names in the compiled module: attributes follow the spec (names given with
`name=`, kinds numbered per kind), so that state_dict keys survive edits that add no weights."""
import pytest
import torch

import archlang
from conftest import SPECS


def keys(spec: str) -> list[str]:
    return list(archlang.load(spec).state_dict())


def test_kinds_are_numbered_per_kind():
    assert keys("model m(x: 8×8×1) = Chain(Conv((3, 3), 1 => 2), BatchNorm(2, relu), MaxPool((2, 2)), "
                "Conv((3, 3), 2 => 2), flatten, Dense(_ => 3))") == [
        "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean",
        "bn1.running_var", "bn1.num_batches_tracked", "conv2.weight", "conv2.bias",
        "fc1.weight", "fc1.bias"]


@pytest.mark.parametrize("extra", ["Dropout(0.5)", "MaxPool((1, 1))", "relu", "identity"])
def test_inserting_a_layer_without_parameters_renames_no_key(extra):
    before = "model m(x: 8×8×3) = Chain(Conv((3, 3), 3 => 4), {}Conv((3, 3), 4 => 4), flatten, Dense(_ => 10))"
    assert keys(before.format("")) == keys(before.format(extra + ", "))


def test_resnet18_keeps_its_keys_when_a_dropout_is_inserted_before_the_head():
    text = (SPECS / "famous/resnet18.arch").read_text()
    assert "Dense(512, 1000)" in text
    with_dropout = text.replace("Dense(512, 1000)", "Dropout(0.2), Dense(512, 1000)")
    assert keys(text) == keys(with_dropout)


def test_name_gives_the_attribute_of_layers_blocks_repeats_and_chains():
    spec = ('block B(c) = Chain(Conv((3, 3), c => c, pad=1), BatchNorm(c, relu))\n'
            'model m(x: 8×8×2) = Chain(Conv((3, 3), 2 => 4, pad=1; name="stem"), '
            'repeat(2, B(4); name="layer1"), B(4; name="last"), '
            'Chain(Conv((1, 1), 4 => 4), BatchNorm(4); name="downsample"), '
            'GlobalMeanPool(), flatten, Dense(4 => 3; name="fc"))')
    source = archlang.compile(spec)
    assert "self.stem = nn.Conv2d(2, 4, kernel_size=3, padding=1)" in source
    assert "self.layer1 = nn.Sequential(*[B(4) for _ in range(2)])" in source
    assert "self.last = B(4)" in source
    assert "self.downsample = nn.Sequential(nn.Conv2d(4, 4, kernel_size=1), nn.BatchNorm2d(4))" in source
    ks = keys(spec)
    assert ks[:2] == ["stem.weight", "stem.bias"] and "layer1.1.conv1.weight" in ks
    assert "downsample.0.weight" in ks and "downsample.1.running_var" in ks and ks[-1] == "fc.bias"
    report = archlang.check(spec).model()
    assert sum(p.numel() for p in archlang.load(spec).parameters()) == report.params


def test_a_named_chain_computes_what_its_layers_do():
    spec = ('model m(x: 6×6×2) = Chain(Chain(Conv((3, 3), 2 => 3), BatchNorm(3, relu6); name="block"), '
            'relu)')
    m = archlang.load(spec).eval()
    x = torch.randn(2, 2, 6, 6)
    conv, bn, act = m.block
    assert isinstance(act, torch.nn.ReLU6)
    assert torch.allclose(m(x), torch.relu(torch.clamp(bn(conv(x)), 0, 6)))


def test_a_chain_that_is_no_straight_line_of_modules_is_written_layer_by_layer():
    spec = 'model m(x: 6×4) = Chain(Conv((1,), 4 => 4), Dense(4 => 4); name="mixed")'
    source = archlang.compile(spec)
    assert "nn.Sequential" not in source      # the Dense takes tokens channels last
    m = archlang.load(spec)
    assert m(torch.randn(2, 4, 6)).shape == (2, 6, 4)


@pytest.mark.parametrize("spec, code, text", [
    ('model m(x: 4) = Dense(4 => 2; name="2fc")', "E0103", '"2fc"'),
    ('model m(x: 4) = Dense(4 => 2; name="a.b")', "E0103", '"a.b"'),
    ('model m(x: 4) = Dense(4 => 2; name=3)', "E0103", "3"),
    ('model m(x: 4) = SkipConnection(Dense(4 => 4), +; name="s")', "E0101", "name"),
])
def test_bad_names_are_diagnosed_at_the_name(spec, code, text):
    (err,) = archlang.check(spec).errors
    assert err.code == code and err.span.text == text


def test_a_block_parameter_called_name_stays_a_parameter():
    spec = 'block B(name) = Dense(4 => name)\nmodel m(x: 4) = B(name=3)'
    assert archlang.check(spec).model().output_shape == (3,)


def test_a_named_chain_of_layers_blocks_and_inner_chains_is_nested_sequentials():
    spec = ('block B(c) = Chain(Conv((3, 3), c => c, pad=1), BatchNorm(c, relu))\n'
            'model m(x: 8×8×4) = Chain(Chain(Chain(Conv((3, 3), 4 => 8, pad=1, bias=false), '
            'BatchNorm(8, relu6)), B(8), MaxPool((2, 2)), B(8); name="features"), flatten, '
            'Dense(_ => 3; name="fc"))')
    ks = keys(spec)
    assert ks[:2] == ["features.0.0.weight", "features.0.1.weight"]
    assert "features.1.conv1.weight" in ks and "features.3.bn1.running_var" in ks   # 2: MaxPool
    m = archlang.load(spec).eval()
    assert isinstance(m.features[0][2], torch.nn.ReLU6)
    assert sum(p.numel() for p in m.parameters()) == archlang.check(spec).model().params == 1891
    x = torch.randn(2, 4, 8, 8)
    f = m.features
    assert torch.allclose(m(x), m.fc(f[3](f[2](f[1](f[0](x)))).flatten(1)))
