"""One PyTorch module, function or method → one archlang layer (as fragments of text whose
whole numbers may become block parameters), or Unsupported naming what cannot be written."""
from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field


class Unsupported(Exception):
    """What a spec cannot express: the module (its qualified name or class) and the operation."""

    def __init__(self, where: str, op: str, why: str = ""):
        self.where, self.op, self.why = where, op, why
        super().__init__(f"cannot convert {op} in {where or 'the root module'}" + (f": {why}" if why else ""))


@dataclass(frozen=True)
class Num:
    """A whole number of a layer's arguments; `role` names a block parameter made of it."""
    value: int
    role: str = "n"


@dataclass
class Layer:
    """A layer as written: `head(pos..., act; kw...)`; each argument a list of fragments."""
    head: str
    pos: list = field(default_factory=list)
    kw: list = field(default_factory=list)
    takes_act: bool = False
    act: str | None = None
    weighted: bool = False        # has parameters or buffers: keeps its attribute's name
    name: str | None = None
    spec_in: tuple | None = None  # its input's spec dims, where a later pass needs them

    def fragments(self) -> list:
        pos = list(self.pos) + ([[self.act]] if self.act else [])
        kw = [[f"{k}=", *v] for k, v in self.kw] + ([[f"name={quoted(self.name)}"]] if self.name else [])
        if not pos and not kw:
            return [self.head]
        out = [self.head, "("]
        for i, arg in enumerate(pos):
            out += ([", "] if i else []) + arg
        for i, arg in enumerate(kw):
            out += (["; "] if i == 0 else [", "]) + arg
        return out + [")"]


def quoted(text: str) -> str:
    """`text` as a spec's string: in double quotes, `\\` and `"` escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def key_name(where: str, key: str, position: int, keys_weights: bool = True) -> str | None:
    """The `name=` of an nn.Sequential element keyed `key` at `position`: None where the
    compiled Sequential keys it so anyway (its position) or nothing is keyed by it."""
    from ..ir.names import name_problem
    if key == str(position) or not keys_weights:
        return None
    bad = name_problem(key)
    if bad is not None:
        raise Unsupported(where, "name", f"its key in the nn.Sequential: {bad[0]}")
    return key


def reshape_layer(dims) -> Layer:
    """`reshape(…)`: its last dim the channels (a block parameter `c`), the others sizes `n`."""
    return Layer("reshape", [[Num(d, "c" if i == len(dims) - 1 else "n")] for i, d in enumerate(dims)])


def zero_pad(lo, hi) -> Layer:
    """`ZeroPad(n)` when every side is padded alike, else `ZeroPad((w_lo, w_hi, h_lo, h_hi))`."""
    flat = [v for pair in zip(lo, hi) for v in pair]
    text = str(flat[0]) if len(set(flat)) == 1 else "(" + ", ".join(map(str, flat)) + ")"
    return Layer("ZeroPad", [[text]])


ACTIVATION = "activation"   # the head of a layer that is an activation alone (`relu`)

# nn modules without arguments of their own, and the functions that compute the same.
ACTIVATION_MODULES = {"ReLU": "relu", "ReLU6": "relu6", "Sigmoid": "sigmoid", "Tanh": "tanh",
                      "SiLU": "swish", "Hardswish": "hardswish", "Hardsigmoid": "hardsigmoid",
                      "Mish": "mish", "Identity": "identity"}
ACTIVATION_FUNCTIONS = {"relu": "relu", "relu_": "relu", "relu6": "relu6", "sigmoid": "sigmoid",
                        "tanh": "tanh", "silu": "swish", "hardswish": "hardswish",
                        "hardsigmoid": "hardsigmoid", "mish": "mish"}
JOINS = {operator.add: "+", operator.iadd: "+", operator.mul: "*", operator.imul: "*"}
JOIN_NAMES = {"add": "+", "add_": "+", "mul": "*", "mul_": "*", "__add__": "+", "__iadd__": "+"}


def activation(name: str) -> Layer:
    return Layer(ACTIVATION, act=name)


def spatial(values, role: str) -> list:
    """A PyTorch (…, h, w) tuple → the spec's (w, h, …) fragments."""
    vs = list(reversed(values))
    out = ["("]
    for i, v in enumerate(vs):
        out += ([", "] if i else []) + [Num(int(v), role)]
    return out + ([",)"] if len(vs) == 1 else [")"])


def spatial_kw(values, role: str, default: int) -> list | None:
    """`stride=2` when every dimension agrees, `(w, h)` otherwise; None at the default."""
    values = tuple(values)
    if all(v == default for v in values):
        return None
    if len(set(values)) == 1:
        return [Num(int(values[0]), role)]
    return spatial(values, role)


def real(x: float) -> str:
    """A float as a spec writes it: Python's shortest text, exponents without padding (1e-6)."""
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(float(x)))


def real32(x: float) -> str:
    """The shortest text that reads back as the float32 `x` (1e-06, not 9.99999997e-07)."""
    import struct
    f32 = struct.unpack("f", struct.pack("f", x))[0]
    for digits in range(1, 10):
        text = f"{f32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            return real(float(text))
    return real(f32)


def _conv(m, where):
    if m.padding_mode != "zeros":
        raise Unsupported(where, type(m).__name__, f"padding_mode={m.padding_mode!r} (only zero padding)")
    if isinstance(m.padding, str):
        raise Unsupported(where, type(m).__name__, f"padding={m.padding!r} (write it as numbers)")
    if getattr(m, "transposed", False):
        raise Unsupported(where, type(m).__name__, "transposed convolutions are not converted yet")
    layer = Layer("Conv", [spatial(m.kernel_size, "k"), [Num(m.in_channels, "c"), " => ", Num(m.out_channels, "c")]],
                  takes_act=True, weighted=True)
    for key, attr, default in (("stride", "stride", 1), ("pad", "padding", 0), ("dilation", "dilation", 1)):
        v = spatial_kw(getattr(m, attr), "s" if key == "stride" else "p", default)
        if v is not None:
            layer.kw.append((key, v))
    if m.groups != 1:
        layer.kw.append(("groups", [Num(m.groups, "g")]))
    if m.bias is None:
        layer.kw.append(("bias", ["false"]))
    return layer


def _batchnorm(m, where):
    if not m.affine or not m.track_running_stats:
        raise Unsupported(where, type(m).__name__, "affine=False or track_running_stats=False")
    layer = Layer("BatchNorm", [[Num(m.num_features, "c")]], takes_act=True, weighted=True)
    if m.eps != 1e-5:
        layer.kw.append(("eps", [real(m.eps)]))
    if m.momentum != 0.1:
        if m.momentum is None:
            raise Unsupported(where, type(m).__name__, "momentum=None (a cumulative average)")
        layer.kw.append(("momentum", [real(m.momentum)]))
    return layer


def _linear(m, where):
    layer = Layer("Dense", [[Num(m.in_features, "c"), " => ", Num(m.out_features, "c")]], takes_act=True, weighted=True)
    if m.bias is None:
        layer.kw.append(("bias", ["false"]))
    return layer


def _pool(m, where, head):
    if getattr(m, "dilation", 1) not in (1, (1, 1)) or getattr(m, "return_indices", False):
        raise Unsupported(where, type(m).__name__, "dilation or return_indices")
    if getattr(m, "divisor_override", None) is not None:
        raise Unsupported(where, type(m).__name__, "divisor_override")
    n = int(type(m).__name__[-2])
    k = m.kernel_size if isinstance(m.kernel_size, tuple) else (m.kernel_size,) * n
    s = m.stride if isinstance(m.stride, tuple) else (m.stride,) * n
    p = m.padding if isinstance(m.padding, tuple) else (m.padding,) * n
    if head == "MeanPool" and not m.count_include_pad and any(p):
        raise Unsupported(where, type(m).__name__, "count_include_pad=False with padding")
    layer = Layer(head, [spatial(k, "k")])
    if tuple(s) != tuple(k):
        layer.kw.append(("stride", spatial_kw(s, "s", -1)))
    if any(p):
        layer.kw.append(("pad", spatial_kw(p, "p", 0)))
    if m.ceil_mode:
        layer.kw.append(("ceil", ["true"]))
    return layer


def _adaptive(m, where, head):
    n = int(type(m).__name__[-2])
    size = m.output_size if isinstance(m.output_size, tuple) else (m.output_size,) * n
    if any(v is None for v in size):
        raise Unsupported(where, type(m).__name__, "an output size of None")
    if all(v == 1 for v in size):
        return Layer(f"Global{head}Pool", [])
    return Layer(f"Adaptive{head}Pool", [spatial(size, "n")])


def _layernorm(m, where):
    if len(m.normalized_shape) != 1 or not m.elementwise_affine or m.bias is None:
        raise Unsupported(where, "LayerNorm", "only LayerNorm over the channels, with weight and bias")
    layer = Layer("LayerNorm", [[Num(m.normalized_shape[0], "c")]], takes_act=True, weighted=True)
    if m.eps != 1e-5:
        layer.kw.append(("eps", [real(m.eps)]))
    return layer


def _embedding(m, where):
    if m.max_norm is not None or m.scale_grad_by_freq or m.sparse:
        raise Unsupported(where, "Embedding", "max_norm, scale_grad_by_freq or sparse")
    layer = Layer("Embedding", [[Num(m.num_embeddings, "n"), " => ", Num(m.embedding_dim, "c")]], weighted=True)
    if m.padding_idx is not None:
        layer.kw.append(("pad", [str(m.padding_idx)]))
    return layer


def _gelu(m, where):
    return activation("gelu" if m.approximate == "tanh" else "gelu_erf")


def _simple(name, check):
    def make(m, where):
        if not check(m):
            raise Unsupported(where, type(m).__name__, "arguments other than the defaults")
        return activation(name)
    return make


MODULES = {
    "Conv1d": _conv, "Conv2d": _conv, "Conv3d": _conv,
    "BatchNorm1d": _batchnorm, "BatchNorm2d": _batchnorm, "BatchNorm3d": _batchnorm,
    "Linear": _linear, "LayerNorm": _layernorm, "Embedding": _embedding, "GELU": _gelu,
    "MaxPool1d": lambda m, w: _pool(m, w, "MaxPool"), "MaxPool2d": lambda m, w: _pool(m, w, "MaxPool"),
    "MaxPool3d": lambda m, w: _pool(m, w, "MaxPool"),
    "AvgPool1d": lambda m, w: _pool(m, w, "MeanPool"), "AvgPool2d": lambda m, w: _pool(m, w, "MeanPool"),
    "AvgPool3d": lambda m, w: _pool(m, w, "MeanPool"),
    "AdaptiveAvgPool1d": lambda m, w: _adaptive(m, w, "Mean"), "AdaptiveAvgPool2d": lambda m, w: _adaptive(m, w, "Mean"),
    "AdaptiveAvgPool3d": lambda m, w: _adaptive(m, w, "Mean"),
    "AdaptiveMaxPool1d": lambda m, w: _adaptive(m, w, "Max"), "AdaptiveMaxPool2d": lambda m, w: _adaptive(m, w, "Max"),
    "AdaptiveMaxPool3d": lambda m, w: _adaptive(m, w, "Max"),
    "ChannelShuffle": lambda m, w: Layer("ChannelShuffle", [[Num(m.groups, "g")]]),
    "Dropout": lambda m, w: Layer("Dropout", [[real(m.p)]]),
    "Dropout1d": lambda m, w: Layer("Dropout", [[real(m.p)]]),
    "Dropout2d": lambda m, w: Layer("Dropout", [[real(m.p)]]),
    "Flatten": _simple("flatten", lambda m: m.start_dim == 1 and m.end_dim == -1),
    "LeakyReLU": _simple("leakyrelu", lambda m: m.negative_slope == 0.01),
    "ELU": _simple("elu", lambda m: m.alpha == 1.0),
    "Softplus": _simple("softplus", lambda m: m.beta == 1 and m.threshold == 20),
    "Softmax": _simple("softmax", lambda m: m.dim in (1, -1)),
    "LogSoftmax": _simple("logsoftmax", lambda m: m.dim in (1, -1)),
    **{k: _simple(v, lambda m: True) for k, v in ACTIVATION_MODULES.items()},
}
# Written as layers of their own, never as an activation argument.
STANDALONE = {"flatten"}


def is_layer_module(m) -> bool:
    """A module archlang writes as one layer (from torch.nn, in the table above)."""
    return type(m).__module__.startswith("torch.nn") and type(m).__name__ in MODULES


def is_sequential(m) -> bool:
    """An nn.Sequential, or a subclass that keeps its forward (torchvision's
    Conv2dNormActivation): its children applied in order."""
    import torch.nn as nn
    return isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward


def is_torch_module(m) -> bool:
    """A module of torch.nn itself: a layer of the table, or one no archlang layer computes
    (never traced into: it is reported by its class)."""
    return type(m).__module__.startswith("torch.nn") and not is_sequential(m)


def layer_of_module(m, where: str, any_class: bool = False) -> Layer:
    """The layer a module of torch.nn is (`any_class`: a subclass elsewhere whose forward
    computes the same, by its base class: patterns.module_layer)."""
    cls = next((c for c in type(m).__mro__ if c.__module__.startswith("torch.nn")), type(m)) \
        if any_class else type(m)
    make = MODULES.get(cls.__name__)
    if make is None or not cls.__module__.startswith("torch.nn"):
        raise Unsupported(where, type(m).__name__, "no archlang layer computes this module")
    layer = make(m, where)
    if layer.head == ACTIVATION and layer.act in STANDALONE:
        layer = Layer(layer.act)
    return layer


def computes_nothing(node) -> bool:
    """A call that is the identity in eval mode: F.dropout, `contiguous`, torchvision's
    stochastic_depth traced with training=False."""
    import torch.nn.functional as F
    t = node.target
    name = t if isinstance(t, str) else getattr(t, "__name__", "")
    if t is F.dropout or (node.op == "call_method" and name == "contiguous"):
        return True
    training = node.args[3] if len(node.args) > 3 else node.kwargs.get("training")
    return name == "stochastic_depth" and training is False


def flattens(shape_in, shape_out) -> bool:
    """A view / reshape / flatten that keeps the batch and flattens the rest."""
    return len(shape_out) == 2 and shape_out[0] == shape_in[0] and shape_out[1] == math.prod(shape_in[1:])
