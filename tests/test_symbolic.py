"""archlang/symbolic.py: size formulas in normal form, guards recorded, specialisation."""
from archlang.layers.shape import Shape
from archlang.symbolic import SymInt, recording, sizes

H, W = SymInt.var("H"), SymInt.var("W")


def test_affine_parts_simplify():
    assert str((H + 2 - 3) // 1 + 1) == "H"
    assert str((2 * H + 1) // 2) == "H"
    assert (H - H) == 0 and type(H - H) is int           # no variable left: a plain int
    # ResNet's stem then its max pool: the floors merge, ⌊(⌊(H − 1)/2⌋ + 1 − 1)/2⌋ + 1
    stem = (H + 6 - 7) // 2 + 1
    pool = (stem + 2 - 3) // 2 + 1
    assert str(pool) == "⌊(H − 1)/4⌋ + 1" and pool.expr == ((H + 3) // 4).expr
    assert str(3 * H * W) == "3·H·W"
    assert str(H % 16) == "H − 16·⌊H/16⌋"


def test_hints_follow_the_sizes_context():
    e = (H + 6 - 7) // 2 + 1              # built at H's default, 64: keeps that hint
    with sizes({"H": 224}):
        assert e.hint == 32 and ((H + 6 - 7) // 2 + 1).hint == 112
    with sizes({"H": 7}):
        assert ((H + 6 - 7) // 2 + 1).hint == 4


def test_comparisons_record_guards():
    with sizes({"H": 20}), recording() as guards:
        assert H >= 16
        assert not (H // 16 == 2)
    assert [(str(g)) for g in guards] == ["H ≥ 16", "⌊H/16⌋ ≠ 2"]
    assert all(g.holds({"H": 31}) for g in guards)
    assert not guards[0].holds({"H": 15}) and not guards[1].holds({"H": 32})


def test_int_and_hash_specialise():
    with sizes({"H": 32}), recording() as guards:
        assert int(H // 2) == 16
        assert list(range(H // 8)) == [0, 1, 2, 3]
        assert {H: 1}[32] == 1
    assert {str(g) for g in guards} == {"⌊H/2⌋ = 16", "⌊H/8⌋ = 4", "H = 32"}


def test_shapes_keep_ints_and_symbols():
    with sizes({"H": 10}):
        s = Shape((H // 2, 7.0, 3))
        assert s.numel.hint == 105
    assert type(s[1]) is int and str(s) == "⌊H/2⌋×7×3"
