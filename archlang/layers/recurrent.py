"""Recurrent layers: LSTM, GRU and RNN on an L×C sequence, as PyTorch's nn.LSTM/GRU/RNN.

Parameters are PyTorch's, tensor by tensor: per layer k and direction, `weight_ih_l{k}`
(G·h × input), `weight_hh_l{k}` (G·h × h_out), two bias vectors `bias_ih_l{k}` and
`bias_hh_l{k}` (G·h each), and for an LSTM with a projection `weight_hr_l{k}` (p × h), where
G is the number of gate blocks (LSTM 4, GRU 3, RNN 1), h the hidden size, h_out = p (the
projection) or h, and the input of layer k > 0 is h_out · directions.

A recurrent layer is a per-token layer: it takes PyTorch's N×L×C (channels last,
`batch_first=True`). What it returns is chosen with `out=` (SELECTIONS); every selection
calls the module once and picks from its `(output, h_n)` / `(output, (h_n, c_n))`.
"""
from __future__ import annotations

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, ShapeProblem, register
from .layout import CHANNELS_LAST
from .linear import Dense
from .shape import Shape
from .torch_code import Call, Raw, Template, TorchCode, kw

SELECTIONS = {
    "sequence": "the output at every step, L × h_out·directions (PyTorch's `output`)",
    "last": "the last layer's final hidden state h_n, forward and backward concatenated",
    "mean": "the mean of the outputs over the steps",
    "max": "the maximum of the outputs over the steps, per channel",
}
"""What `out=` may select, and what each is (docs/language.md, "Recurrent layers")."""

# The forward expression of each selection, over `{self}({0})` (the module's call). "last" of
# one direction is output[:, -1], which equals h_n[-1]; of two it is h_n's last two rows
# (the last layer's forward and backward final states) side by side: N × 2·h_out.
_PICK = {
    "sequence": "[0]",
    "mean": "[0].mean(1)",
    "max": "[0].amax(1)",
    "last": "[0][:, -1]",
}
_LAST_BOTH = "[1]{c}[-2:].transpose(0, 1).flatten(1)"

RNN_ACTIVATIONS = ("tanh", "relu")


def _selection(arg: A.Arg) -> str:
    name = A.string(arg)
    if name not in SELECTIONS:
        from ..suggest import did_you_mean
        raise ArgProblem(f'unknown output "{name}" for a recurrent layer', arg.span,
                         label="not an output",
                         help=did_you_mean(name, list(SELECTIONS)) or
                         'choose "sequence" (default), "last", "mean" or "max"')
    return name


def _rnn_activation(arg: A.Arg) -> str:
    # PyTorch's spelling, nonlinearity="relu", is read as the name relu.
    if isinstance(arg.value, str):
        act = A.activation_name(arg.value) or arg.value
    else:
        act = A.activation(arg)
    if act not in RNN_ACTIVATIONS:
        raise ArgProblem(f"an RNN's activation is tanh or relu, found `{act}`", arg.span,
                         label="not tanh or relu",
                         help="PyTorch's nn.RNN takes nonlinearity \"tanh\" (default) or \"relu\"")
    return act


_SCHEMA = (
    Param("channels", A.channels_pair, doc="input channels => hidden size (or two numbers); "
          "`_` infers the input", shown="in => hidden"),
    Param("layers", A.size, default=1, positional=False, aliases=("num_layers",),
          doc="stacked layers (PyTorch's num_layers)"),
    Param("bidirectional", A.boolean, default=False, positional=False),
    Param("bias", A.boolean, default=True, positional=False),
    Param("dropout", A.probability, default=0.0, positional=False,
          doc="dropout between stacked layers while training (needs layers ≥ 2)"),
    Param("out", _selection, default="sequence", positional=False,
          doc='"sequence" (default), "last", "mean" or "max"'),
)


@dataclass(frozen=True)
class _Recurrent(Layer):
    """The rule every recurrent kind shares; a kind adds its gate count and its extras."""

    c_in: int | None
    hidden: int
    layers: int = 1
    bidirectional: bool = False
    bias: bool = True
    dropout: float = 0.0
    out: str = "sequence"

    family = "recurrent"
    layout = CHANNELS_LAST
    gates = 1                              # weight blocks per gate set: LSTM 4, GRU 3, RNN 1
    module = ""                            # the PyTorch class

    @classmethod
    def prepare(cls, positional, keywords):
        # LSTM(100, 256) reads as LSTM(100 => 256), as Dense(100, 256) does.
        return Dense.prepare(positional, keywords)

    @classmethod
    def from_bound(cls, bound, spans, alias):
        c_in, hidden = bound.pop("channels")
        if bound["dropout"] and bound["layers"] == 1:
            raise ArgProblem(f"{alias}'s dropout acts between stacked layers, and there is one",
                             spans.get("dropout"), code="E0202", label="no layer to drop between",
                             help="stack layers (`layers=2`), or put a `Dropout` after the layer")
        return cls(c_in=c_in, hidden=hidden, **bound)

    # -- sizes ---------------------------------------------------------------------------
    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def h_out(self) -> int:
        """The size of each step's hidden state as it leaves a layer (LSTM: the projection)."""
        return self.hidden

    @property
    def width(self) -> int:
        """Channels of each step of the output: h_out per direction."""
        return self.h_out * self.directions

    def _inputs(self) -> list[int]:
        """The input size of each stacked layer: the spec's input, then the layer below's."""
        return [self.c_in] + [self.width] * (self.layers - 1)

    # -- shape rule ----------------------------------------------------------------------
    def resolve(self, inputs):
        x = inputs[0]
        if self.c_in is None and x.rank == 1:
            return self.replace(c_in=x.channels)
        return self

    def infer(self, inputs):
        x = inputs[0]
        if x.rank != 1:
            if x.is_vector:
                help_ = (f"a recurrent layer reads a sequence of steps: reshape the vector into "
                         f"L steps of C channels, e.g. reshape({x[0]}, 1)")
            else:
                help_ = (f"read the {x.kind()} as a sequence of {x.numel // x.channels:,} steps "
                         f"first: reshape({x.numel // x.channels}, {x.channels})")
            raise ShapeProblem("E0303", f"{self.kind} applied to {x.describe()}",
                               label="expects an L×C sequence", blame_input=True, help=help_)
        out = self._output(x[0])
        if self.c_in != x.channels:
            raise ShapeProblem(
                "E0300", f"{self.kind} expects {self.c_in:,} channels per step but the sequence "
                f"{x} has {x.channels:,}", arg="channels.left", label=f"expects {self.c_in:,}",
                blame_input=True, output=out,
                help=f"write {self.kind}({x.channels} => {self.hidden}), or `_ => {self.hidden}` "
                     "to take the input's channels")
        return out

    def _output(self, length: int) -> Shape:
        return Shape((length, self.width) if self.out == "sequence" else (self.width,))

    # -- counts --------------------------------------------------------------------------
    def _per_direction(self, c_in: int) -> int:
        """One layer's parameters in one direction, as PyTorch lays them out."""
        g = self.gates * self.hidden
        return g * c_in + g * self.h_out + (2 * g if self.bias else 0) + self._projection()

    def _projection(self) -> int:
        return 0

    def params(self) -> int:
        return self.directions * sum(self._per_direction(c) for c in self._inputs())

    def macs(self, inputs, out) -> int:
        # Per step and direction: the gate pre-activations G·h·(in + h_out) (the input and
        # recurrent matrix products), and an LSTM's projection h·p. Bias adds are element ops.
        steps = inputs[0][0]
        g = self.gates * self.hidden
        per_step = sum(g * (c + self.h_out) + self._projection() for c in self._inputs())
        return steps * self.directions * per_step

    def _cell_ops(self) -> int:
        """Element operations of one cell update, per hidden unit, besides the bias adds."""
        raise NotImplementedError

    def elementwise(self, inputs, out) -> int:
        steps = inputs[0][0]
        g = self.gates * self.hidden
        # Adding the two products (g), the two bias vectors (2g), and the cell's own operations.
        per_step = g + (2 * g if self.bias else 0) + self._cell_ops() * self.hidden
        pooled = steps * self.width if self.out in ("mean", "max") else 0
        return steps * self.directions * self.layers * per_step + pooled

    def saved(self, inputs, out) -> int:
        # The states of every step besides the output: the hidden states of the layers below
        # the last, an LSTM's cell states in every layer, and the last layer's sequence when
        # the layer returns a selection of it.
        steps = inputs[0][0]
        below = (self.layers - 1) * self.h_out + self.layers * self._cell_state()
        sequence = self.width if self.out != "sequence" else 0
        return steps * (self.directions * below + sequence)

    def _cell_state(self) -> int:
        return 0

    # -- back ends -----------------------------------------------------------------------
    def _module_kw(self) -> tuple:
        return ()

    def torch(self, inputs, out) -> TorchCode:
        module = Call(self.module, (self.c_in, self.hidden),
                      kw(num_layers=self.layers if self.layers > 1 else None,
                         bias=False if not self.bias else None, batch_first=True,
                         dropout=self.dropout or None,
                         bidirectional=True if self.bidirectional else None) + self._module_kw())
        if self.out == "last" and self.bidirectional:
            pick = _LAST_BOTH.format(c="[0]" if self._cell_state() else "")
        else:
            pick = _PICK[self.out]
        # A selection changes the module's N×L×width output on the same line.
        raw = None if self.out == "sequence" else (inputs[0][0], self.width)
        return TorchCode(module, call=Template("{self}({0})" + pick), raw_out=raw)

    # -- printing ------------------------------------------------------------------------
    def _extra_text(self) -> list[str]:
        return []

    def args_text(self):
        c_in = "_" if self.c_in is None else self.c_in
        out = [f"{c_in} => {self.hidden}", *self._extra_text()]
        if self.layers != 1:
            out.append(f"layers={self.layers}")
        if self.bidirectional:
            out.append("bidirectional=true")
        if not self.bias:
            out.append("bias=false")
        if self.dropout:
            out.append(f"dropout={self.dropout:g}")
        if self.out != "sequence":
            out.append(f'out="{self.out}"')
        return out


@register
@dataclass(frozen=True)
class LSTM(_Recurrent):
    """PyTorch's nn.LSTM (Hochreiter & Schmidhuber 1997); `proj_size` projects each hidden
    state to p values (Sak et al. 2014), and p is then what the next step and layer see."""

    proj: int = 0

    kind = "LSTM"
    short_name = "lstm"
    gates = 4
    module = "nn.LSTM"
    summary = "long short-term memory over an L×C sequence (PyTorch's nn.LSTM)"
    schema = _SCHEMA + (
        Param("proj_size", A.count, default=0, positional=False, aliases=("proj",),
              doc="project each hidden state to this size (0: none); smaller than hidden"),)

    @classmethod
    def from_bound(cls, bound, spans, alias):
        proj = bound.pop("proj_size")
        if proj and proj >= bound["channels"][1]:
            raise ArgProblem(f"proj_size {proj} is not smaller than the hidden size "
                             f"{bound['channels'][1]}", spans.get("proj_size"), code="E0202",
                             label="must be smaller than hidden",
                             help="PyTorch projects the hidden state down: proj_size < hidden")
        return super().from_bound({**bound, "proj": proj}, spans, alias)

    @property
    def h_out(self) -> int:
        return self.proj or self.hidden

    def _projection(self) -> int:
        return self.proj * self.hidden            # weight_hr: p × h

    def _cell_ops(self) -> int:
        # 4 gate activations (3 sigmoids, 1 tanh); c = f·c + i·g (2 products, 1 sum);
        # h = o·tanh(c) (1 tanh, 1 product).
        return 9

    def _cell_state(self) -> int:
        return self.hidden

    def _module_kw(self):
        return kw(proj_size=self.proj or None)

    def _extra_text(self):
        return [f"proj_size={self.proj}"] if self.proj else []


@register
@dataclass(frozen=True)
class GRU(_Recurrent):
    """PyTorch's nn.GRU (Cho et al. 2014): reset, update and new gates."""

    kind = "GRU"
    short_name = "gru"
    gates = 3
    module = "nn.GRU"
    summary = "gated recurrent unit over an L×C sequence (PyTorch's nn.GRU)"
    schema = _SCHEMA

    def _cell_ops(self) -> int:
        # 3 gate activations; r·(W_hn h + b_hn); h' = (1 − z)·n + z·h (1 difference,
        # 2 products, 1 sum).
        return 8


@register
@dataclass(frozen=True)
class RNN(_Recurrent):
    """PyTorch's nn.RNN (Elman): h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu."""

    act: str = "tanh"

    kind = "RNN"
    short_name = "rnn"
    gates = 1
    module = "nn.RNN"
    summary = "Elman recurrent layer over an L×C sequence, tanh or relu (PyTorch's nn.RNN)"
    schema = (_SCHEMA[0],
              Param("act", _rnn_activation, default="tanh", aliases=("nonlinearity",),
                    doc="tanh (default) or relu"),
              *_SCHEMA[1:])

    def _cell_ops(self) -> int:
        return 1                                  # the activation

    def _module_kw(self):
        # The name comes from RNN_ACTIVATIONS (checked when the spec was read), never a spec.
        return kw(nonlinearity=Raw(f'"{self.act}"') if self.act != "tanh" else None)

    def _extra_text(self):
        return [self.act] if self.act != "tanh" else []
