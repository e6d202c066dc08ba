"""Build the module to convert, run it once on an example input, and trace the forward of
every module that becomes a model or block body (torch.fx, each submodule a leaf)."""
from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import fx, nn

from .attention import is_opaque
from .recognise import Unsupported, is_sequential, is_torch_module


@dataclass
class Traced:
    """One module's forward as a graph whose every submodule call is a leaf; `path` is its
    qualified name in the root ('' for the root), each tensor node's meta["shape"] its shape."""
    path: str
    module: nn.Module
    graph: fx.Graph
    shapes: dict = field(default_factory=dict)   # the root's: path → (input, output) shapes


def parse_shape(shape) -> tuple[int, ...]:
    """`224x224x3`, `224×224×3`, `784` or a tuple → the spec's dims (W, H, C order)."""
    if isinstance(shape, str):
        parts = re.split(r"\s*[x×,]\s*", shape.strip())
        if not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError(f"--input {shape!r}: write the spec's shape, e.g. 224x224x3 (W×H×C) or 784")
        return tuple(int(p) for p in parts)
    return tuple(int(d) for d in shape)


def example(dims: tuple[int, ...], batch: int = 2) -> torch.Tensor:
    """A random input of the spec's dims in PyTorch's layout: W×H×C → N×C×H×W."""
    gen = torch.Generator().manual_seed(0)
    return torch.randn((batch, *reversed(dims)), generator=gen)


def literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_arguments(args: str | None, kwargs: list[str]) -> tuple[tuple, dict]:
    """`--args "10, True"` (Python literals) and `--kwargs num_classes=10 ...`."""
    pos = ()
    if args:
        try:
            pos = ast.literal_eval(f"({args},)")
        except (ValueError, SyntaxError):
            raise ValueError(f"--args {args!r}: write Python literals separated by commas") from None
    kw = {}
    for item in kwargs:
        key, eq, value = item.partition("=")
        if not eq or not key.isidentifier():
            raise ValueError(f"--kwargs {item!r}: write NAME=VALUE")
        kw[key] = literal(value)
    return pos, kw


def resolve(target: str):
    """`pkg.mod:Name` or `file.py:Name` (a dotted Name reaches inside) → the object."""
    where, colon, attr = target.rpartition(":")
    if not colon or not where or not attr:
        raise ValueError(f"{target!r}: name a callable as MODULE:NAME or FILE.py:NAME")
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise ValueError(f"{target!r}: no such file {where}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(path.stem, mod)
        spec.loader.exec_module(mod)
    else:
        try:
            mod = importlib.import_module(where)
        except ImportError as err:
            raise ValueError(f"{target!r}: cannot import {where}: {err}") from None
    obj = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{target!r}: {where} has no {attr}")
        obj = getattr(obj, part)
    return obj


def build(module_or_target, args: tuple, kwargs: dict, *, meta: bool = False) -> tuple[nn.Module, str]:
    """The module to convert (in eval mode) and a model name for it. With `meta`, a target is
    built on the meta device: a spec needs the module's structure and shapes, not its values,
    and skipping the weights' initialisation saves most of the build (ResNet-50: 0.72 s →
    0.06 s). A constructor that needs real values (it reads a weight, loads a file) is built
    again on the CPU."""
    if isinstance(module_or_target, nn.Module):
        module = module_or_target
    else:
        made = resolve(module_or_target)
        module = None
        if meta and callable(made):
            try:
                with torch.device("meta"):
                    module = made(*args, **kwargs)
            except Exception:     # noqa: BLE001 — built again below, where its error is reported
                module = None
        if module is None:
            module = made(*args, **kwargs) if callable(made) else made
        if not isinstance(module, nn.Module):
            raise ValueError(f"{module_or_target!r} gives a {type(module).__name__}, not an nn.Module")
    name = re.sub(r"\W", "_", str(module_or_target).rpartition(":")[2].rpartition(".")[2]) \
        if isinstance(module_or_target, str) else type(module).__name__
    return module.eval(), name


SAME_SHAPE = (nn.modules.batchnorm._BatchNorm, nn.ReLU, nn.ReLU6, nn.Dropout, nn.Identity, nn.Sigmoid,
              nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.GELU, nn.Tanh)


class _Leaves(fx.Tracer):
    """Every submodule call stays one node: a body is traced one level at a time."""

    def is_leaf_module(self, m: nn.Module, qualified_name: str) -> bool:
        return True


def trace_all(root: nn.Module, dims: tuple[int, ...]) -> dict[str, Traced]:
    """The traced forward of the root and of every module it calls that is no module of
    torch.nn, keyed by qualified name; each tensor node carries its shape (meta["shape"]). One pass
    over meta or fake tensors (shapes without arithmetic: ResNet-50 in a fraction of a second), each
    module's graph interpreted where its parent calls it."""
    if is_sequential(root):
        raise Unsupported(type(root).__name__, "Sequential", "a model that is an nn.Sequential has keys "
                          "such as `0.weight`, which no attribute is named: wrap it in a module")
    traced: dict[str, Traced] = {}

    ran: set[str] = set()
    shapes: dict[str, tuple] = {}

    def run(m: nn.Module, path: str, args: tuple, kwargs: dict | None = None):
        out = call(m, path, args, kwargs)
        if args and isinstance(args[0], torch.Tensor):
            shapes.setdefault(path, (tuple(args[0].shape),
                                     tuple((out[0] if isinstance(out, tuple) else out).shape)))
        return out

    def call(m: nn.Module, path: str, args: tuple, kwargs: dict | None = None):
        ran.add(path)
        if is_torch_module(m) or is_opaque(m):
            # Shapes only: a layer that keeps its input's shape need not run (a fake
            # BatchNorm costs 30 ms, most of ResNet-50's conversion). A module recognised
            # by its class (attention: fromtorch/attention.py) runs whole, its inside untraced.
            ran.update(f"{path}.{k}" if path else k for k, _ in m.named_modules() if k)
            return args[0] if isinstance(m, SAME_SHAPE) and len(args) == 1 and not kwargs \
                else m(*args, **(kwargs or {}))
        if is_sequential(m):
            (x,) = args
            for key, child in m.named_children():
                x = run(child, f"{path}.{key}" if path else key, (x,))
            return x
        if path not in traced:
            try:
                graph = _Leaves().trace(m)
            except Exception as err:      # torch.fx cannot follow data-dependent control flow
                raise Unsupported(path or type(m).__name__, "forward",
                                  f"torch.fx cannot trace it: {str(err).splitlines()[0]}") from None
            traced[path] = Traced(path, m, graph)
        gm = fx.GraphModule(m, traced[path].graph)
        try:
            return _Shapes(gm, run, path).propagate(*args)
        except Unsupported:
            raise
        except Exception as err:   # inputs that are no tensors, or a shape that does not fit
            raise Unsupported(path or type(m).__name__, "forward",
                              f"its shapes cannot be followed: {str(err).splitlines()[0][:120]}") from None

    weight = next(root.parameters(), None)
    with torch.no_grad():
        if weight is not None and weight.is_meta:
            # Built without weights (`build(meta=True)`): meta tensors carry shapes alone, and
            # need none of FakeTensorMode's machinery (whose first use imports torch._dynamo:
            # 1.2 s of a 2.5 s conversion of ResNet-50).
            run(root, "", (torch.empty((1, *reversed(dims)), device="meta"),))
        else:
            from torch._subclasses.fake_tensor import FakeTensorMode
            fake = FakeTensorMode(allow_non_fake_inputs=True)
            with fake:
                run(root, "", (fake.from_tensor(example(dims, 1)),))
    traced[""].shapes = shapes
    # Weights of a module the forward never calls (GoogLeNet's auxiliary heads in eval mode)
    # would be missing from the spec: refused rather than dropped.
    for key in [*root.state_dict()]:
        owner = key.rpartition(".")[0]
        if owner not in ran:
            where = owner or type(root).__name__
            raise Unsupported(where, type(root.get_submodule(owner)).__name__,
                              f"its weights ({key}) are never used by the forward in eval mode, so no "
                              "spec of that forward holds them")
    return traced


class _Shapes(fx.Interpreter):
    """Runs a graph, keeping each tensor's shape in its node's meta ("shape"); submodule calls
    go through `run` (traced and interpreted in turn). (fx's ShapeProp copies the whole
    module to fake tensors first: a second per ResNet-50.)"""

    def __init__(self, gm, run, path):
        super().__init__(gm)
        self._run, self._path = run, path

    def propagate(self, *args):
        return self.run(*args)

    def run_node(self, n):
        result = super().run_node(n)
        if isinstance(result, torch.Tensor):
            n.meta["shape"] = tuple(result.shape)
        elif (n.op == "call_module" and isinstance(result, tuple) and result
              and isinstance(result[0], torch.Tensor)):
            # nn.MultiheadAttention's (output, weights): the output is the value; the
            # `[0]` that reads it is no operation (structure.py).
            n.meta["shape"], n.meta["tuple"] = tuple(result[0].shape), True
        return result

    def call_module(self, target, args, kwargs):
        sub = self.module.get_submodule(target)
        return self._run(sub, f"{self._path}.{target}" if self._path else target, tuple(args),
                         dict(kwargs))
