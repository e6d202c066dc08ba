"""The whole generated module, and loading it as a fresh Python module."""
from __future__ import annotations

from dataclasses import dataclass

from ...check import ModelReport
from ...layers.plugins import torch_imports
from .tables import HEADER, HELPERS
from .names import camel, doc_text, safe_identifier
from .text import calls_of, filled, uses_keys
from .layout import assign
from .occurrences import Occurrence, occurrence
from .classes import ClassDef, abstract, render_class
from .modulemap import ModuleMap, module_map


# ---- the module ---------------------------------------------------------------------------
@dataclass
class Generated:
    """The source, and for each model its class name and its map from check's rows to the
    compiled submodules (modulemap.py)."""

    source: str
    classes: dict[str, str]                          # model name → class name
    maps: dict[str, ModuleMap]                       # model name → its module map


def generate(reports: list[ModelReport], source_path: str) -> Generated:
    """The module for checked, error-free models (every report must be `ok`)."""
    all_occ: list[Occurrence] = []
    roots = []
    for r in reports:
        assert r.ok, f"model {r.name} has errors"
        roots.append(occurrence(r.model.tree, r, assign(r), all_occ))
    # all_occ is post-order: a block's inner blocks come before it.
    # A plugin kind's PyTorch module is imported by its module's name (docs/language.md,
    # Custom layers): no generated class may take that name.
    imports = torch_imports(it.code for o in all_occ for it in o.items)
    taken: set[str] = {m.split(".")[0] for m in imports}
    classes: dict[tuple, ClassDef] = {}
    order: list[ClassDef] = []
    for occ in all_occ:
        if occ.group.is_model:
            cls = ClassDef(safe_identifier(camel(occ.group.label), taken), [occ],
                           occ.group.label, model=True)
            taken.add(cls.name)
            order.append(cls)
        else:
            key = occ.key()
            cls = classes.get(key)
            if cls is None:
                cls = ClassDef(safe_identifier(camel(occ.group.name), taken), [], occ.group.name)
                taken.add(cls.name)
                classes[key] = cls
                order.append(cls)
            cls.occs.append(occ)
        occ.cls = cls
    for cls in order:
        _align_kwargs(cls)
    # Children first: a class's numbers include its inner blocks' constructor arguments.
    done: set[int] = set()
    for cls in order:
        if id(cls) not in done:
            abstract(cls)
            done.add(id(cls))
    ctors = [c for o in all_occ for it in o.items if (c := o.ctor(it)) is not None]
    helpers = sorted({fn for c in ctors for fn in calls_of(c) if fn in HELPERS})
    keyed = any(uses_keys(c) for c in ctors)
    parts = [HEADER.format(path=doc_text(source_path))
             + ("from collections import OrderedDict\n" if keyed else "")
             + "".join(f"import {m}  # a plugin's layers (--plugin)\n" for m in imports)]
    parts += [HELPERS[h] for h in helpers]
    parts += [render_class(c, source_path) for c in _models_last(order)]
    source = "\n\n".join(parts)
    names = {r.name: root.cls.name for r, root in zip(reports, roots)}
    maps = {r.name: module_map(r, root) for r, root in zip(reports, roots)}
    return Generated(source, names, maps)


def _align_kwargs(cls: ClassDef) -> None:
    """Give every call of a class the same keyword arguments (a default written out where
    another call sets it), so that their numbers line up."""
    from dataclasses import replace
    for i, it in enumerate(cls.first.items):
        if it.code is None or it.code.module is None:
            continue
        names = {k for o in cls.occs for k, _ in o.items[i].code.module.kwargs}
        for o in cls.occs:
            code = o.items[i].code
            o.items[i].code = replace(code, module=filled(code.module, names))


def _models_last(order: list[ClassDef]) -> list[ClassDef]:
    return [c for c in order if not c.model] + [c for c in order if c.model]


def load_source(gen: Generated, model: str):
    """Run generated source as a fresh module (its lines in linecache, so tracebacks, inspect
    and torch.jit.script see them) and return an instance of the model's class. Its classes
    pickle by their source (see `_reduce_ex`), so `torch.save(model)` loads in a new process."""
    return getattr(_module(gen.source), gen.classes[model])()


def _module(source: str):
    """The module that runs `source`, named by its hash: `archlang_generated_<sha1[:12]>`,
    run once per process (the same source gives the same classes, so a deep copy or an
    unpickled module is an instance of its original's class)."""
    import hashlib
    import linecache
    import sys
    import types
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    name = f"archlang_generated_{digest}"
    known = sys.modules.get(name)
    if getattr(known, "__archlang_source__", None) == source:
        return known
    filename = f"<archlang-generated {digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    mod = types.ModuleType(name)
    mod.__file__ = filename
    sys.modules[name] = mod
    exec(compile(source, filename, "exec"), mod.__dict__)
    mod.__archlang_source__ = source
    for value in list(vars(mod).values()):
        if isinstance(value, type) and value.__module__ == name:
            value.__archlang_source__ = source
            value.__reduce_ex__ = _reduce_ex
    return mod


def _reduce_ex(self, protocol):
    """Pickle an instance of a generated class as its class's source and name plus its
    state: pickle cannot import `archlang_generated_…` in another process, but `_rebuilt`
    (importable) runs the source again there."""
    _, _, *state = object.__reduce_ex__(self, protocol)  # (copyreg.__newobj__, (cls,), state...)
    cls = type(self)
    return (_rebuilt, (cls.__archlang_source__, cls.__qualname__), *state)


def _rebuilt(source: str, qualname: str):
    """A bare instance of the class `qualname` of generated `source` (run again unless
    this process already has it), for unpickling; pickle then restores its state."""
    cls = getattr(_module(source), qualname)
    return cls.__new__(cls)
