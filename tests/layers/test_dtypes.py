"""The IR's value type (layers/shape.py): dims with a dtype, and the dtype rule of Layer.typed."""
import copy
import pickle

import archlang
from archlang.layers.shape import BOOL, FLOAT, INT, Shape


def test_shape_keeps_the_tuple_api_and_adds_a_dtype():
    s, t = Shape((3, 4)), Shape((3, 4), INT)
    assert s == (3, 4) and t == (3, 4) and s != t and s.dtype == FLOAT and t.dtype == INT
    assert hash(s) == hash((3, 4)) and len({s, t}) == 2
    assert str(t) == "3×4 of int" and str(s) == "3×4"
    assert Shape(t).dtype == INT and Shape(t, FLOAT).dtype == FLOAT and t.with_dtype(BOOL).dtype == BOOL
    assert pickle.loads(pickle.dumps(t)).dtype == INT and copy.deepcopy(t).dtype == INT
    assert Shape((7,), INT).describe() == "a sequence of 7 integer indices"
    assert Shape((7,), BOOL).describe() == "a boolean mask of 7"


def test_float_layers_refuse_integer_indices_with_a_position_and_a_hint():
    # A reshape of an image keeps it float; a Dense given one's output is fine. Layer.typed
    # refuses what a layer does not take (here through Shape's dtype set directly on a layer).
    from archlang.layers.linear import Dense
    from archlang.layers.base import ShapeProblem
    dense = Dense(4, 2)
    try:
        dense.typed([Shape((4,), INT)])
    except ShapeProblem as p:
        assert p.code == "E0312" and "Dense takes float values but receives a sequence of 4 " \
                                      "integer indices" in p.message
        assert "Embedding" in p.help
    else:
        raise AssertionError("no E0312")
    assert dense.typed([Shape((4,))]) == (2,)


def test_shape_preserving_layers_pass_the_dtype_on():
    from archlang.layers.channel import Slice
    from archlang.layers.structural import Flatten
    assert Slice(2, 3).typed([Shape((5,), INT)]).dtype == INT
    assert Flatten().typed([Shape((2, 3), INT)]) == (6,)
    assert Flatten().typed([Shape((2, 3), INT)]).dtype == INT


def test_every_existing_value_is_float():
    result = archlang.check("model m(x: 8×8×1) = Chain(Conv((3, 3), 1 => 2), flatten, Dense(_ => 3))")
    assert all(i.out.dtype == FLOAT for i in result.model().infos)


def test_identity_passes_token_ids_and_masks_but_relu_does_not():
    ids = archlang.check_text("model m(tokens: 16 of int) = Chain(identity, Embedding(100 => 8), "
                              "flatten, Dense(_ => 2))")
    assert ids.ok and ids.models[0].layers[0].out.dtype == INT
    assert ids.models[0].output_shape == (2,)
    relu = archlang.check_text("model m(tokens: 16 of int) = Chain(relu, Embedding(100 => 8))")
    assert not relu.ok and [d.code for d in relu.diagnostics] == ["E0312"]
