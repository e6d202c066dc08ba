"""Structural names in the compiled module: attributes follow the spec (names given with
`name=`, kinds numbered per kind), so that state_dict keys survive edits that add no weights."""
import pytest
import torch
import torch.nn.functional as F

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


def test_a_chain_that_changes_layout_inside_moves_it_with_permute_modules():
    # The Dense takes tokens channels last: a Permute before it (torchvision's ConvNeXt and
    # Swin); the Sequential gives its output in the layout its last layer gives, which the
    # layers after it take as it comes (no move back and forth).
    spec = 'model m(x: 6×4) = Chain(Chain(Conv((1,), 4 => 4), Dense(4 => 4); name="mixed"), relu)'
    source = archlang.compile(spec)
    assert ("        self.mixed = nn.Sequential(\n"
            "            nn.Conv1d(4, 4, kernel_size=1),\n"
            "            Permute((0, 2, 1)),\n"
            "            nn.Linear(4, 4),\n"
            "        )\n") in source                      # longer than a line: one per line
    assert "x = F.relu(x)" in source and ".transpose(" not in source    # channels last, as given
    m = archlang.load(spec).eval()
    x = torch.randn(2, 4, 6)
    conv, _, dense = m.mixed
    assert torch.equal(m(x), torch.relu(dense(conv(x).transpose(1, 2))))
    assert list(m.state_dict()) == ["mixed.0.weight", "mixed.0.bias", "mixed.2.weight", "mixed.2.bias"]


@pytest.mark.parametrize("spec, code, text", [
    ('model m(x: 4) = Dense(4 => 2; name="2fc")', "E0103", '"2fc"'),    # an attribute
    ('model m(x: 4) = Dense(4 => 2; name="")', "E0103", '""'),
    ('model m(x: 4) = Dense(4 => 2; name="forward")', "E0103", '"forward"'),
    ('model m(x: 4) = Chain(Dense(4 => 2; name="3"), relu; name="s")', "E0103", '"3"'),
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


# ---- names of a named Chain's elements: its nn.Sequential's keys ------------------------------
def test_named_elements_of_a_named_chain_are_the_keys_of_its_sequential():
    # DenseNet's `features.conv0`, RegNet's `trunk_output.block1.block1-0`: any key PyTorch
    # allows, written with repr; unnamed elements keep their positions (relu: "2").
    spec = ('block B(c) = Chain(Conv((3, 3), c => c, pad=1), BatchNorm(c, relu))\n'
            'model m(x: 8×8×3) = Chain(Chain(Conv((3, 3), 3 => 4, pad=1; name="conv0"), '
            'BatchNorm(4, relu; name="norm0"), Chain(B(4; name="block1-0"); name="block1"), '
            'MaxPool((2, 2)); name="features"), flatten, Dense(_ => 2; name="fc"))')
    source = archlang.compile(spec)
    assert "from collections import OrderedDict\n" in source
    assert '            ("norm0", nn.BatchNorm2d(4)),\n            ("2", nn.ReLU()),\n' in source
    assert 'nn.Sequential(OrderedDict([("block1-0", B(4))]))' in source
    ks = keys(spec)
    assert ks[:4] == ["features.conv0.weight", "features.conv0.bias", "features.norm0.weight",
                      "features.norm0.bias"]
    assert "features.block1.block1-0.conv1.weight" in ks and ks[-2:] == ["fc.weight", "fc.bias"]
    m = archlang.load(spec).eval()
    assert isinstance(m.features[2], torch.nn.ReLU) and isinstance(m.features[4], torch.nn.MaxPool2d)
    assert sum(p.numel() for p in m.parameters()) == archlang.check(spec).model().params


def test_a_key_cannot_inject_code():
    key = 'a"), __import__("os") #'
    spec = ('model m(x: 4) = Chain(Chain(Dense(4 => 4; name="a\\"), __import__(\\"os\\") #"), relu; '
            'name="s"), Dense(4 => 2))')
    source = archlang.compile(spec)
    assert f"({key!r}, nn.Linear(4, 4))" in source and "import os" not in source
    assert list(archlang.load(spec).state_dict())[:2] == [f"s.{key}.weight", f"s.{key}.bias"]


@pytest.mark.parametrize("spec, code, message", [
    ('model m(x: 4) = Chain(Dense(4 => 4; name="fc"), Dense(4 => 4; name="fc"))', "E0104",
     "the name `fc` is given twice in one body"),
    ('model m(x: 4) = Chain(Chain(Dense(4 => 4; name="a"), Dense(4 => 4; name="a"); name="s"))', "E0104",
     "the name `a` is given twice in one body"),
    ('model m(x: 4) = Chain(Dense(4 => 4; name="block1-0"), relu)', "E0103",
     "the name `block1-0` is no Python identifier"),
    ('model m(x: 4) = Chain(Dense(4 => 4; name="class"), relu)', "E0103",
     "the name `class` is a Python keyword"),
])
def test_names_are_checked_in_their_body(spec, code, message):
    (err,) = archlang.check(spec).errors
    assert (err.code, err.message) == (code, message)
    assert err.span.text.startswith('"') and err.help


def test_the_same_name_in_two_bodies_is_no_duplicate():
    # Each named Chain is a Sequential of its own; a block's body is its class's.
    spec = ('block B() = Dense(4 => 4; name="fc")\n'
            'model m(x: 4) = Chain(B(name="a"), B(name="b"), Chain(Dense(4 => 4; name="fc"); name="s"), '
            'Dense(4 => 4; name="fc"))')
    assert archlang.check(spec).ok
    assert keys(spec) == ["a.fc.weight", "a.fc.bias", "b.fc.weight", "b.fc.bias", "s.fc.weight",
                          "s.fc.bias", "fc.weight", "fc.bias"]


def test_a_duplicate_in_a_block_is_reported_once_with_its_call():
    spec = ('block B(c) = Chain(Dense(c => c; name="fc"), Dense(c => c; name="fc"))\n'
            'model m(x: 4) = Chain(B(4), B(4), Dense(4 => 2))')
    (err,) = archlang.check(spec).errors
    assert err.code == "E0104" and err.span.text == '"fc"' and err.span.start > spec.index("name=")
    assert [lab.message for lab in err.labels] == ["first given here", "in `B` called here"]


def test_a_lone_layernorm_between_channels_first_layers_is_layernorm2d():
    # torchvision's ConvNeXt stem and downsampling: one module, one key, no permutes.
    spec = ('model m(x: 8×8×3) = Chain(Chain(Conv((2, 2), 3 => 4, stride=2), LayerNorm(4); '
            'name="stem"), Chain(LayerNorm(4), Conv((2, 2), 4 => 8, stride=2); name="down"), flatten)')
    source = archlang.compile(spec)
    assert "class LayerNorm2d(nn.LayerNorm):" in source and "class Permute" not in source
    assert keys(spec) == ["stem.0.weight", "stem.0.bias", "stem.1.weight", "stem.1.bias",
                          "down.0.weight", "down.0.bias", "down.1.weight", "down.1.bias"]
    m = archlang.load(spec).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape))
    x = torch.randn(2, 3, 8, 8)

    def over_channels(norm, v):
        return F.layer_norm(v.permute(0, 2, 3, 1), (4,), norm.weight, norm.bias).permute(0, 3, 1, 2)

    h = over_channels(m.stem[1], m.stem[0](x))
    h = m.down[1](over_channels(m.down[0], h))
    assert torch.allclose(m(x), h.flatten(1), atol=1e-6)


def test_a_parameter_is_named_as_the_layer_writes_it_where_two_have_its_value():
    # cin and cout are both 256 here: conv3 is mid → cout and the projection cin → cout.
    spec = ('import "std/resnet.arch"\nmodel m(x: 8×8×256) = BottleneckDown(256, 64, 256, 2)')
    source = archlang.compile(spec)
    assert "self.conv3 = nn.Conv2d(mid, cout, kernel_size=1, bias=False)" in source
    assert "self.bn3 = nn.BatchNorm2d(cout)" in source
    assert "self.conv4 = nn.Conv2d(cin, cout, kernel_size=1, stride=s, bias=False)" in source
