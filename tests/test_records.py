"""archlang/records.py against the standard library: the same class body, declared with
`dataclasses.dataclass` and with `archlang.records.dataclass`, must behave the same (the
check path's 113 classes rely on it: docs/performance.md)."""
from __future__ import annotations

import copy
import dataclasses
import inspect
from typing import ClassVar

import pytest

from archlang import records
from archlang.layers import kinds
from archlang.syntax import ast


def zero():
    return [0]


def declare(dataclass, field):
    """The same classes, made with one decorator or the other."""

    @dataclass(frozen=True)
    class Kernel:
        size: tuple[int, ...]
        c_in: int | None = None
        stride: int = 1
        kind: ClassVar[str] = "Conv"

    @dataclass(frozen=True)
    class Empty:
        """A record without fields."""

    @dataclass(frozen=True)
    class One:
        x: float

    @dataclass(eq=False, slots=True)
    class Base:
        span: int

    @dataclass(eq=False, slots=True)
    class Leaf(Base):
        name: str
        items: list = field(default_factory=list)

    @dataclass
    class Plain:
        name: str
        hidden: dict = field(default_factory=dict, repr=False)
        shown: list = field(default_factory=zero)
        counted: int = field(default=3, compare=False)

        def __post_init__(self):
            self.shown = self.shown + [len(self.name)]

    @dataclass(frozen=True, slots=True)
    class FrozenSlots:
        a: int
        b: str = "b"

    return dict(Kernel=Kernel, Empty=Empty, One=One, Base=Base, Leaf=Leaf, Plain=Plain,
                FrozenSlots=FrozenSlots)


STD = declare(dataclasses.dataclass, dataclasses.field)
OURS = declare(records.dataclass, records.field)

# Arguments for two equal instances and a different one, per class.
EXAMPLES = {
    "Kernel": [((3, 3),), ((3, 3),), ((3, 3), 8, 2)],
    "Empty": [(), (), ()],
    "One": [(float("nan"),), (2.0,), (3.0,)],
    "Base": [(1,), (1,), (2,)],
    "Leaf": [(1, "a"), (1, "a", [2]), (2, "b")],
    "Plain": [("x",), ("x", {"k": 1}, [1], 4), ("y",)],
    "FrozenSlots": [(1,), (1, "b"), (2, "c")],
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_same_class_in_signature_docstring_and_standard_view(name):
    std, ours = STD[name], OURS[name]
    assert str(inspect.signature(ours)) == str(inspect.signature(std))
    assert ours.__doc__ == std.__doc__
    assert ours.__match_args__ == std.__match_args__
    assert dataclasses.is_dataclass(ours) and dataclasses.is_dataclass(ours(*EXAMPLES[name][0]))
    assert describe(ours) == describe(std)
    assert [f.name for f in records.fields(ours)] == [f.name for f in dataclasses.fields(std)]
    for attribute in ("__slots__", "__hash__"):
        assert (attribute in vars(ours)) == (attribute in vars(std)), attribute
    if "__slots__" in vars(std):
        assert ours.__slots__ == std.__slots__
    assert (ours.__hash__ is None) == (std.__hash__ is None)


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_same_instances_in_repr_equality_hash_and_copies(name):
    std, ours = STD[name], OURS[name]
    first, second, other = EXAMPLES[name]
    pairs = [(std(*args), ours(*args)) for args in (first, second, other)]
    for s, o in pairs:
        assert repr(o) == repr(s)
        assert vars_of(o) == vars_of(s)
        assert (o == o) == (s == s)
        if std.__dataclass_params__.eq and std.__dataclass_params__.frozen:   # hashed by value
            assert hash(o) == hash(s)
        assert vars_of(copy.copy(o)) == vars_of(o)
        assert vars_of(dataclasses.replace(o)) == vars_of(dataclasses.replace(s))
        assert vars_of(records.replace(o)) == vars_of(dataclasses.replace(s))
        assert dataclasses.asdict(o) == dataclasses.asdict(s)
    (s1, o1), (s2, o2), (s3, o3) = pairs
    assert (o1 == o2, o1 == o3, o1 != o3) == (s1 == s2, s1 == s3, s1 != s3)
    assert (o1 == s1) is False                        # another class: never equal


def describe(cls):
    return [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.compare)
            for f in dataclasses.fields(cls)]


def vars_of(record):
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def test_frozen_records_refuse_assignment_as_the_standard_library_does():
    for cls in (OURS["Kernel"], OURS["FrozenSlots"]):
        record = cls((3,)) if cls is OURS["Kernel"] else cls(1)
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'stride'"
                           if cls is OURS["Kernel"] else "cannot assign to field 'a'"):
            setattr(record, "stride" if cls is OURS["Kernel"] else "a", 2)
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field"):
            delattr(record, "c_in" if cls is OURS["Kernel"] else "b")
    # How pickle and copy rebuild a frozen slotted record (the class here is local: not
    # picklable by name).
    std, ours = STD["FrozenSlots"](1, "z"), OURS["FrozenSlots"](1, "z")
    assert ours.__getstate__() == std.__getstate__() == [1, "z"]
    rebuilt = object.__new__(OURS["FrozenSlots"])
    rebuilt.__setstate__(ours.__getstate__())
    assert rebuilt == ours and copy.deepcopy(ours) == ours


def test_slots_leave_no_instance_dict_and_inherit_the_base_slot():
    leaf = OURS["Leaf"](1, "a")
    assert not hasattr(leaf, "__dict__")
    assert OURS["Leaf"].__slots__ == ("name", "items") and OURS["Base"].__slots__ == ("span",)
    assert OURS["Leaf"](1, "a").items is not OURS["Leaf"](1, "a").items      # a new list each


def test_post_init_and_factories_run_once_per_instance():
    plain = OURS["Plain"]("abc")
    assert plain.shown == [0, 3] and plain.hidden == {} and plain.counted == 3
    assert repr(plain).endswith("Plain(name='abc', shown=[0, 3], counted=3)")


def test_what_the_standard_library_refuses_is_refused():
    with pytest.raises(ValueError, match="mutable default"):
        @records.dataclass
        class Shared:
            items: list = []
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        @records.dataclass
        class Order:
            a: int = 1
            b: int
    with pytest.raises(TypeError, match="cannot inherit a frozen record from a non-frozen one"):
        @records.dataclass
        class Thawed(OURS["Kernel"]):
            pass
    with pytest.raises(TypeError):
        records.dataclass(order=True)
    with pytest.raises(TypeError, match="no InitVar or KW_ONLY"):
        @records.dataclass
        class Hidden:
            a: dataclasses.InitVar[int]


def test_every_layer_kind_and_ast_node_is_a_record_the_standard_library_reads():
    nodes = [c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.Node)]
    classes = kinds() + nodes
    assert len(classes) > 40
    for cls in classes:
        names = [f.name for f in records.fields(cls)]
        assert [f.name for f in dataclasses.fields(cls)] == names, cls
        assert list(inspect.signature(cls).parameters) == names, cls
