"""Record classes for the modules every `archlang check` loads: the standard library's
`@dataclass`, made for a fraction of its cost at import.

Python 3.11's decorator compiles up to six methods per class with `exec`, and builds the
signature of each class without a docstring with `inspect`: 46 ms of a 130 ms start of
`archlang check`, for the 113 classes the check path declares (docs/performance.md). Here
only `__init__` is compiled (it must be: a generic one builds a four-field AST node in 1.0 µs
instead of 0.26), and not before it is first looked up, to make an instance; `__repr__`,
`__eq__`, `__hash__` and a frozen class's `__setattr__` and `__delattr__` are closures over
the class's field names, made without compiling anything. The generated docstring (the
class's signature) is computed when it is read.

What the code relies on, kept as the standard library has it: the same `__init__` signature
(defaults, `field(default_factory=...)`, `__post_init__`), the same `repr`, equality and hash
by value (a tuple of the compared fields, so hashes are unchanged), `FrozenInstanceError` on
assignment to a frozen record, `slots=True` (the class is made again with `__slots__`), and
`__match_args__`. The standard library's `dataclasses.fields`, `replace`, `asdict` and
`is_dataclass` keep working on these classes: `__dataclass_fields__` and
`__dataclass_params__` are made on first use, by the standard decorator applied to a shadow
class with the same fields, so that they are genuine. Inside archlang, `fields` and `replace`
from here avoid that import (`dataclasses` brings `inspect`, `ast` and `dis`: 6 ms).

Options: `init`, `repr`, `eq`, `frozen`, `slots`; `field(default=, default_factory=, repr=,
compare=)`. Anything else (`order`, `kw_only`, `InitVar`, ...) is refused with a TypeError:
use `dataclasses.dataclass` for it, off the check path.
"""
from __future__ import annotations

import re
import threading
from operator import attrgetter

__all__ = ["MISSING", "Field", "dataclass", "field", "fields", "replace"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


class _Factory:
    """The default of a parameter whose field has a default factory (its repr is the
    standard library's: signatures show `<factory>`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


MISSING = _Missing()
_FACTORY = _Factory()
_CLASSVAR = re.compile(r"\s*(?:typing\s*\.\s*)?ClassVar\b")
_REFUSED = re.compile(r"\s*(?:dataclasses\s*\.\s*)?(?:InitVar|KW_ONLY)\b")


class Field:
    """One field of a record: its name and annotation, its default or default factory, and
    whether `repr` shows it and `==` and `hash` compare it."""

    __slots__ = ("name", "type", "default", "default_factory", "repr", "compare")

    def __init__(self, default=MISSING, default_factory=MISSING, repr=True, compare=True):
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = self.type = None
        self.default, self.default_factory = default, default_factory
        self.repr, self.compare = repr, compare

    def __repr__(self) -> str:
        return (f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r}, "
                f"default_factory={self.default_factory!r}, repr={self.repr}, "
                f"compare={self.compare})")


def field(*, default=MISSING, default_factory=MISSING, repr=True, compare=True) -> Field:
    """A field's options, written as its class attribute (as `dataclasses.field`)."""
    return Field(default, default_factory, repr, compare)


def fields(record) -> tuple[Field, ...]:
    """The fields of a record class or instance, in `__init__` order."""
    return tuple(_spec(record)["fields"].values())


def replace(record, /, **changes):
    """A copy of `record` with some fields changed (as `dataclasses.replace`)."""
    for name in _spec(record)["fields"]:
        if name not in changes:
            changes[name] = getattr(record, name)
    return record.__class__(**changes)


def dataclass(cls=None, /, *, init=True, repr=True, eq=True, frozen=False, slots=False):
    """Make `cls` a record class, as `dataclasses.dataclass(cls, ...)` would."""
    def wrap(cls):
        return _process(cls, init, repr, eq, frozen, slots)
    return wrap if cls is None else wrap(cls)


# ---- building a class ----------------------------------------------------------------------
def _spec(record) -> dict:
    cls = record if isinstance(record, type) else type(record)
    try:
        return cls.__record__
    except AttributeError:
        raise TypeError(f"{cls.__name__} is not a record class") from None


def _process(cls, init, repr, eq, frozen, slots):
    own = cls.__dict__
    fields_: dict[str, Field] = {}
    record_bases = [b for b in cls.__mro__[-1:0:-1] if "__record__" in b.__dict__]
    for base in record_bases:
        fields_.update(base.__record__["fields"])
        if base.__record__["frozen"] != frozen:
            raise TypeError("cannot inherit a frozen record from a non-frozen one, or the reverse")
    for base in cls.__mro__[1:]:
        if "__dataclass_fields__" in base.__dict__ and "__record__" not in base.__dict__:
            raise TypeError(f"{cls.__name__}: a record cannot inherit from the standard "
                            f"library's dataclass {base.__name__}")

    annotations = own.get("__annotations__", {})
    for name, type_ in annotations.items():
        if isinstance(type_, str) and _CLASSVAR.match(type_) or _is_classvar(type_):
            continue
        if isinstance(type_, str) and _REFUSED.match(type_) or type(type_).__name__ in (
                "InitVar", "_KW_ONLY_TYPE"):
            raise TypeError(f"{cls.__name__}.{name}: records have no InitVar or KW_ONLY "
                            "fields; use dataclasses.dataclass")
        default = own.get(name, MISSING)
        f = default if isinstance(default, Field) else Field(default)
        if f.default.__class__.__hash__ is None:          # a list, dict or set shared by all
            raise ValueError(f"mutable default {type(f.default)} for field {name} is not "
                             "allowed: use default_factory")
        f.name, f.type = name, type_
        fields_[name] = f
        if isinstance(default, Field):
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
    for name, value in own.items():
        if isinstance(value, Field) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    if "self" in fields_:
        raise TypeError(f"{cls.__name__}: a record's field may not be named 'self'")

    seen_default = False
    for f in fields_.values():
        if f.default is MISSING and f.default_factory is MISSING:
            if seen_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
        else:
            seen_default = True

    if slots:
        cls = _with_slots(cls, fields_)
    spec = {"fields": fields_, "frozen": frozen,
            "params": dict(init=init, repr=repr, eq=eq, frozen=frozen)}
    cls.__record__ = spec

    names = tuple(fields_)
    if init and "__init__" not in own:
        cls.__init__ = _LazyInit(cls)
    if repr and "__repr__" not in own:
        cls.__repr__ = _repr(tuple(n for n, f in fields_.items() if f.repr))
    compared = tuple(n for n, f in fields_.items() if f.compare)
    if eq and "__eq__" not in own:
        cls.__eq__ = _eq(compared)
    if frozen:
        for method in (_frozen_setattr(cls, names), _frozen_delattr(cls, names)):
            if method.__name__ in own:
                raise TypeError(f"Cannot overwrite attribute {method.__name__} in class "
                                f"{cls.__name__}")
            setattr(cls, method.__name__, method)
    # The standard library's table for unsafe_hash=False: an explicit __hash__ stays; eq
    # without frozen makes instances unhashable; eq and frozen hash the compared fields.
    class_hash = own.get("__hash__", MISSING)
    explicit_hash = not (class_hash is MISSING or (class_hash is None and "__eq__" in own))
    if eq and not explicit_hash:
        cls.__hash__ = _hash(compared) if frozen else None
    if frozen and slots:
        # Unpickling a slotted instance assigns each slot: a frozen one needs its own way.
        if "__getstate__" not in own:
            cls.__getstate__ = _getstate(names)
        if "__setstate__" not in own:
            cls.__setstate__ = _setstate(names)
    if not own.get("__doc__"):
        cls.__doc__ = _SignatureDoc(cls)
    if "__match_args__" not in own:
        cls.__match_args__ = names
    cls.__dataclass_fields__ = _StandardView(cls, "__dataclass_fields__")
    cls.__dataclass_params__ = _StandardView(cls, "__dataclass_params__")
    return cls


def _is_classvar(type_) -> bool:
    origin = getattr(type_, "__origin__", type_)
    return getattr(origin, "_name", None) == "ClassVar"


def _with_slots(cls, fields_):
    """The class made again with `__slots__` for its fields (as the standard library does:
    slots cannot be added to a class that exists)."""
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__} already specifies __slots__")
    body = dict(cls.__dict__)
    inherited = set()
    for base in cls.__mro__[1:-1]:
        declared = base.__dict__.get("__slots__", ())
        inherited.update((declared,) if isinstance(declared, str) else declared)
    body["__slots__"] = tuple(n for n in fields_ if n not in inherited)
    for name in fields_:
        body.pop(name, None)
    body.pop("__dict__", None)
    body.pop("__weakref__", None)          # belongs to the class being replaced
    qualname = cls.__qualname__
    cls = type(cls)(cls.__name__, cls.__bases__, body)
    cls.__qualname__ = qualname
    return cls


# ---- the methods ---------------------------------------------------------------------------
class _LazyInit:
    """A class's `__init__`, compiled when first looked up (to make an instance, or by
    `inspect.signature`), then put in the class in its place.

    Most record classes of a start are never instantiated (a spec uses a few of the layer
    kinds), and compiling is what the standard decorator spends its time on."""

    def __init__(self, cls):
        self.cls = cls

    def __get__(self, instance, owner):
        init = _init_fn(self.cls)
        self.cls.__init__ = init
        return init if instance is None else init.__get__(instance, owner)


def _init_fn(cls):
    spec = cls.__record__
    frozen = spec["frozen"]
    namespace = {"_setattr": object.__setattr__, "_FACTORY": _FACTORY}
    params, body, annotations = ["self"], [], {}
    for name, f in spec["fields"].items():
        annotations[name] = f.type
        value = name
        if f.default_factory is not MISSING:
            namespace[f"_factory_{name}"] = f.default_factory
            params.append(f"{name}=_FACTORY")
            value = f"_factory_{name}() if {name} is _FACTORY else {name}"
        elif f.default is not MISSING:
            namespace[f"_default_{name}"] = f.default
            params.append(f"{name}=_default_{name}")
        else:
            params.append(name)
        body.append(f"_setattr(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n " + ("\n ".join(body) or "pass") + "\n"
    exec(source, namespace)
    fn = namespace["__init__"]
    fn.__qualname__ = f"{cls.__qualname__}.__init__"
    fn.__module__ = cls.__module__
    fn.__annotations__ = {**annotations, "return": None}
    return fn


def _repr(names):
    values = _compared(names)
    running = set()

    def __repr__(self):
        key = id(self), threading.get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            return self.__class__.__qualname__ + "(" + ", ".join(
                f"{n}={v!r}" for n, v in zip(names, values(self))) + ")"
        finally:
            running.discard(key)
    return __repr__


def _compared(names):
    """A function from a record to the tuple of the fields `names` (one per class)."""
    if not names:
        return lambda self: ()
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda self: (get(self),)
    return attrgetter(*names)


def _eq(names):
    key = _compared(names)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented
    return __eq__


def _hash(names):
    key = _compared(names)

    def __hash__(self):
        return hash(key(self))
    return __hash__


def _getstate(names):
    def __getstate__(self):
        return [getattr(self, name) for name in names]
    return __getstate__


def _setstate(names):
    def __setstate__(self, state):
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)
    return __setstate__


def _frozen_error(what: str, name: str):
    from dataclasses import FrozenInstanceError    # the standard library's, for its catchers
    return FrozenInstanceError(f"cannot {what} field {name!r}")


def _frozen_setattr(cls, names):
    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise _frozen_error("assign to", name)
        super(cls, self).__setattr__(name, value)
    return __setattr__


def _frozen_delattr(cls, names):
    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise _frozen_error("delete", name)
        super(cls, self).__delattr__(name)
    return __delattr__


# ---- what is made on first use -------------------------------------------------------------
class _SignatureDoc:
    """The docstring the standard decorator gives a class without one: its name and
    signature, `Conv(kernel: 'tuple[int, ...]', c_in: 'int | None' = None, ...)`."""

    def __init__(self, cls):
        self.cls = cls

    def __get__(self, instance, owner):
        import inspect
        try:
            signature = str(inspect.signature(self.cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            signature = ""
        self.cls.__doc__ = doc = self.cls.__name__ + signature
        return doc


class _StandardView:
    """`__dataclass_fields__` or `__dataclass_params__`, for the standard library's functions
    (`fields`, `replace`, `asdict`, `is_dataclass`): genuine ones, from the standard decorator
    applied to a class with the same fields, made when first asked for."""

    def __init__(self, cls, attribute: str):
        self.cls, self.attribute = cls, attribute

    def __get__(self, instance, owner):
        import dataclasses
        record, spec = self.cls, self.cls.__record__
        body = {"__annotations__": {}, "__qualname__": record.__qualname__,
                "__module__": record.__module__}
        for name, f in spec["fields"].items():
            body["__annotations__"][name] = f.type
            options = {"repr": f.repr, "compare": f.compare}
            if f.default is not MISSING:
                options["default"] = f.default
            if f.default_factory is not MISSING:
                options["default_factory"] = f.default_factory
            body[name] = dataclasses.field(**options)
        shadow = dataclasses.dataclass(**spec["params"])(type(record.__name__, (), body))
        for attribute in ("__dataclass_fields__", "__dataclass_params__"):
            setattr(record, attribute, shadow.__dict__[attribute])
        return record.__dict__[self.attribute]
