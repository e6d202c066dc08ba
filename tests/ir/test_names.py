"""What `name="…"` may say and where (archlang/ir/names.py): checked without torch, in the
body where the name is given."""
import pytest

import archlang
from archlang.ir.names import MODULE_ATTRIBUTES, is_attribute, name_problem


@pytest.mark.parametrize("value, message", [
    ("", "an empty name"),
    ("a.b", "the name `a.b` holds a dot"),
    ("12", "the name `12` is a position"),
    ("training", "the name `training` is taken by PyTorch's nn.Module"),
    ("_modules", "the name `_modules` is taken by PyTorch's nn.Module"),
    ("a\nb", "the name `a\nb` holds a character that cannot be printed"),
    (3, "a name is text in quotes, such as `name=\"fc\"`"),
])
def test_a_name_that_can_be_no_key_is_refused(value, message):
    assert name_problem(value)[0] == message


@pytest.mark.parametrize("value, attribute", [
    ("fc", True), ("layer_scale", True), ("block1-0", False), ("class", False), ("2fc", False),
    ("denselayer12", True),
])
def test_keys_and_attributes(value, attribute):
    assert name_problem(value) is None and is_attribute(value) is attribute


def test_the_module_attributes_are_torchs():
    # The list is kept beside the checker, which imports no torch; it must cover every
    # public attribute of the installed PyTorch's nn.Sequential.
    torch = pytest.importorskip("torch")
    public = {n for n in dir(torch.nn.Sequential()) if not n.startswith("_")}
    assert public <= MODULE_ATTRIBUTES


def test_a_name_inside_a_skip_connection_of_a_named_chain_is_an_attribute():
    # A Chain holding a SkipConnection is written layer by layer: its names are attributes.
    spec = ('model m(x: 4) = Chain(Chain(SkipConnection(Dense(4 => 4; name="a-b"), +), relu; '
            'name="s"))')
    (err,) = archlang.check(spec).errors
    assert err.code == "E0103" and err.message == "the name `a-b` is no Python identifier"


def test_an_element_of_a_chain_inside_a_named_chain_may_take_any_key():
    spec = ('model m(x: 4) = Chain(Chain(Chain(Dense(4 => 4; name="a-b"), relu), '
            'Dense(4 => 4; name="a-b"); name="s"))')
    assert archlang.check(spec).ok          # two Sequentials: `s.0.a-b`, `s.a-b`
