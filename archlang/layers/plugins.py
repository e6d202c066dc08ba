"""Layer kinds of the user's own, declared in Python and loaded by name (`--plugin FILE.py`,
`archlang.check(spec, plugins=[...])`); docs/language.md, "Custom layers".

A plugin is a Python module whose kinds are declared the way the built-in ones are (a
frozen dataclass subclass of `Layer`, its `schema`, `infer`, `params`, `macs`, ...), with
`@declare` in place of the built-ins' `@register`. Its PyTorch module is named by a dotted
string (`torch_module = "se_torch.SqueezeExcite"`), imported only by the code compiled from
it, so `check` and `draw` never import torch.

A spec never loads code: only the user names plugins, and their kinds are known only inside
`using(...)` (the registry's overlay, a ContextVar), never to a later check without them.
"""
from __future__ import annotations

import importlib
import importlib.util
import keyword
import sys
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from ..diagnostics import Diagnostic
from ..records import dataclass, fields
from .base import REGISTRY, ArgProblem, Layer, ShapeProblem
from .torch_code import Call, TorchCode


class PluginError(Exception):
    """A plugin that cannot be used: not found, failing to import, declaring no kind, or a
    kind named like a built-in. `diagnostic` (E0111) says which; the CLI exits 2."""

    def __init__(self, message: str, help: str | None = None, notes: tuple[str, ...] = ()):
        super().__init__(message)
        self.diagnostic = Diagnostic("E0111", message, None, help=help, notes=notes)


@dataclass(frozen=True)
class Plugin:
    """A loaded plugin: the name it was given by, its module's file and its kinds."""

    name: str
    path: str
    kinds: tuple

    def names(self) -> dict:
        """Every name a spec may call (kinds and aliases) → its class."""
        return {n: cls for cls in self.kinds for n in (cls.kind, *cls.names)}


# ---- declaring a kind -------------------------------------------------------------------------
def declare(cls: type) -> type[Layer]:
    """Make `cls` (a subclass of Layer with its fields annotated) a plugin layer kind: a
    frozen dataclass whose shape rule runs under a guard (an exception from the rule or a
    count that is not a whole number ≥ 0 is diagnostic E0311 at the layer's call, not a
    traceback). The kind is registered by loading its plugin, not by this decorator."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError("@declare applies to a subclass of archlang.layers.Layer")
    if not (isinstance(cls.kind, str) and cls.kind.isidentifier()):
        raise TypeError(f"{cls.__name__}.kind must be the name specs call it by, such as "
                        f"kind = {cls.__name__!r}")
    module = cls.__dict__.get("torch_module")
    if module is not None and not _dotted(module):
        raise TypeError(f"{cls.__name__}.torch_module must be a dotted name `module.Class`, "
                        f"not {module!r}")
    cls = dataclass(frozen=True)(cls)
    cls.infer = _guarded(cls.infer)
    if "from_bound" in cls.__dict__:
        cls.from_bound = classmethod(_guarded_bound(cls.__dict__["from_bound"].__func__))
    if cls.torch is Layer.torch:
        cls.torch = plugin_torch
    cls.__archlang_plugin__ = True
    return cls


def _dotted(name) -> bool:
    parts = name.split(".") if isinstance(name, str) else []
    return len(parts) >= 2 and all(p.isidentifier() and not keyword.iskeyword(p) for p in parts) \
        and parts[0] not in ("nn", "F")


def plugin_torch(layer: Layer, inputs, out) -> TorchCode:
    """A declared kind's default PyTorch mapping: `torch_module(*its fields in order)`."""
    module = getattr(layer, "torch_module", None)
    if module is None:
        raise TypeError(f"{layer.kind} declares no torch_module (\"module.Class\") nor a torch method")
    return TorchCode(Call(module, tuple(getattr(layer, f.name) for f in fields(layer))))


def _guarded(infer):
    """`infer`, then every count and the PyTorch mapping, once: what a plugin's code raises
    (other than ShapeProblem) becomes E0311, at the call of the layer in the spec."""

    @wraps(infer)
    def run(self, inputs):
        try:
            out = infer(self, inputs)
            _counts(self, inputs, out)
            return out
        except ShapeProblem:
            raise
        except Exception as exc:       # noqa: BLE001 — the plugin's bug, reported where it is used
            raise ShapeProblem("E0311", f"the plugin layer `{self.kind}` failed: "
                               f"{type(exc).__name__}: {exc}", label="while checking this call",
                               notes=(f"raised at {_where(exc)}",),
                               help=f"fix the plugin that declares `{self.kind}` "
                                    f"({type(self).__module__})") from None
    return run


def _guarded_bound(from_bound):
    """A plugin's own `from_bound` (checks between its arguments): what it raises besides
    ArgProblem is E0311 at the call."""

    @wraps(from_bound)
    def run(cls, bound, spans, alias):
        try:
            layer = from_bound(cls, bound, spans, alias)
        except ArgProblem:
            raise
        except Exception as exc:       # noqa: BLE001 — the plugin's bug, reported where it is used
            raise ArgProblem(f"the plugin layer `{cls.kind}` failed: {type(exc).__name__}: {exc}",
                             None, code="E0311", label="while reading this call's arguments",
                             help=f"fix the plugin that declares `{cls.kind}` ({cls.__module__}); "
                                  f"raised at {_where(exc)}") from None
        if not isinstance(layer, cls):
            raise ArgProblem(f"the plugin layer `{cls.kind}` failed: from_bound returned "
                             f"{layer!r}, not a {cls.__name__}", None, code="E0311",
                             help=f"fix the plugin that declares `{cls.kind}` ({cls.__module__})")
        return layer
    return run


def _counts(layer: Layer, inputs, out) -> None:
    from .shape import Shape
    if not isinstance(out, Shape):
        raise TypeError(f"infer returned {out!r}, not a Shape")
    for name in ("params", "state"):
        _whole(name, getattr(layer, name)())
    for name in ("macs", "elementwise", "saved"):
        _whole(name, getattr(layer, name)(inputs, out))
    layer.window()
    str(layer)                         # args_text, as the table and drawings print it
    code = layer.torch(inputs, out)
    if not isinstance(code, TorchCode):
        raise TypeError(f"torch returned {code!r}, not a TorchCode")


def _whole(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{name} returned {value!r}, not a whole number ≥ 0")


def _where(exc: BaseException) -> str:
    import traceback
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    return f"{last.filename}:{last.lineno} in {last.name}" if last else "unknown"


# ---- loading ----------------------------------------------------------------------------------
_LOADED: dict[str, Plugin] = {}          # the name given → the plugin (a module loads once)


def load(name: str) -> Plugin:
    """The plugin a user named: a Python file (`layers/se.py`, imported as module `se`, its
    folder appended to sys.path so that its PyTorch module and compiled code find it) or an
    importable module (`my_layers.se`). Raises PluginError."""
    key = str(Path(name).resolve()) if name.endswith(".py") else name
    if key in _LOADED:
        return _LOADED[key]
    module = _from_file(Path(name)) if name.endswith(".py") else _from_module(name)
    kinds = tuple(dict.fromkeys(v for v in vars(module).values()
                                if isinstance(v, type) and v.__dict__.get("__archlang_plugin__")))
    if not kinds:
        raise PluginError(f"the plugin {name} declares no layer kind",
                          help="decorate a subclass of archlang.layers.Layer with "
                               "@archlang.layers.declare (docs/language.md, Custom layers)")
    for cls in kinds:
        for alias in cls.names:
            if not (isinstance(alias, str) and alias.isidentifier()):
                raise PluginError(f"the plugin {name} gives `{cls.kind}` the alias {alias!r}, "
                                  "not a name specs can call")
    plugin = Plugin(name, getattr(module, "__file__", "") or "", kinds)
    _LOADED[key] = plugin
    return plugin


def load_all(names, shadowed) -> list[Plugin]:
    """Every plugin of `names` (None: none). No kind may take a built-in's name
    (`shadowed(name)` says which: vocabulary.shadowed) nor another plugin's."""
    plugins = [load(str(n)) for n in names or ()]
    seen: dict[str, str] = {}
    for p in plugins:
        for alias, cls in p.names().items():
            what = shadowed(alias)
            if what:
                raise PluginError(f"the plugin {p.name} declares `{alias}`, the name of {what}",
                                  help=f"rename {cls.__name__}.kind (or the alias)")
            if seen.setdefault(alias, p.name) != p.name:
                raise PluginError(f"the plugins {seen[alias]} and {p.name} both declare `{alias}`")
    return plugins


def _from_file(path: Path):
    if not path.is_file():
        raise PluginError(f"no such plugin file: {path}")
    name = path.stem
    if not name.isidentifier() or keyword.iskeyword(name):
        raise PluginError(f"the plugin file {path} is not named as a Python module",
                          help="compiled code imports it by its name: rename it, e.g. my_layers.py")
    resolved = path.resolve()
    known = sys.modules.get(name)
    if known is not None:
        if getattr(known, "__file__", None) and Path(known.__file__).resolve() == resolved:
            return known
        raise PluginError(f"the plugin file {path} is named like the module `{name}`, "
                          "already imported from elsewhere", help="rename the plugin file")
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.append(folder)
    spec = importlib.util.spec_from_file_location(name, resolved)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:       # noqa: BLE001 — a failing plugin is the user's to fix
        del sys.modules[name]
        raise _import_failed(str(path), exc) from None
    return module


def _from_module(name: str):
    if not all(p.isidentifier() for p in name.split(".")):
        raise PluginError(f"no plugin {name}: name a Python file (.py) or an importable module")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise PluginError(f"no plugin module named {name}",
                              help="name a Python file (.py) or a module on PYTHONPATH") from None
        raise _import_failed(name, exc) from None
    except BaseException as exc:       # noqa: BLE001
        raise _import_failed(name, exc) from None


def _import_failed(name: str, exc: BaseException) -> PluginError:
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    return PluginError(f"the plugin {name} failed to import: {type(exc).__name__}: {exc}",
                       notes=(f"raised at {_where(exc)}",), help="fix the plugin's code")


# ---- using plugins ----------------------------------------------------------------------------
@contextmanager
def using(plugins):
    """Their kinds known to specs inside the block (in this context only); `plugins` None:
    the plugins already in use stay so (an API call inside another)."""
    if plugins is None:
        yield
        return
    names = {}
    for p in plugins:
        names.update(p.names())
    token = REGISTRY.overlay.set(names)
    try:
        yield
    finally:
        REGISTRY.overlay.reset(token)


def torch_imports(codes) -> list[str]:
    """The modules compiled code imports for plugin kinds' `Call`s: `se_torch` of
    `se_torch.SqueezeExcite` (torch's own names are imported already)."""
    mods = {c.module.fn.rsplit(".", 1)[0] for c in codes if c is not None and c.module is not None
            and "." in c.module.fn and c.module.fn.split(".")[0] not in ("nn", "F", "torch")}
    return sorted(mods)
