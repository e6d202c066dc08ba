"""The analysis of one checked model: per-layer records and totals, as objects and JSON.

Everything is computed from the static shapes of `check`; no tensor is ever made, and
nothing here imports torch. How an Analysis is shown (`table()`, `str()`, a notebook's HTML
and SVG) is presentation: archlang/present installs those methods.
"""
from __future__ import annotations

from ..check import ModelReport
from ..diagnostics import Diagnostic
from ..layers.shape import BOOL, FLOAT, INT
from ..layers.structural import Input
from ..records import dataclass, field, fields
from ..symbolic import hint_of, polynomial
from .memory import TRAINING_PARAM_COPIES, dtype_bytes, peak_forward
from .receptive_field import RF, receptive_fields


@dataclass
class LayerRecord:
    """Every figure of one node (index 0 is the model's input)."""

    node: int
    index: int
    layer: str
    kind: str
    family: str
    input_shapes: list
    output_shape: tuple | None
    params: int
    trainable: int
    state: int
    macs: int                        # multiply-accumulates per forward pass of one sample
    element_ops: int                 # bias adds, activations, pooling, joins, normalisation
    param_bytes: int
    activation_bytes: int            # this node's output, for the whole batch
    rf: RF | None
    dense_equivalent: int | None     # weights of a dense layer computing the same map (§5.2)
    kernel: str = ""
    times: int = 1                   # copies the node stands for (a folded repeat); every figure
                                     # above is of one copy, the totals multiply

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def dense_ratio(self) -> float | None:
        """How many times fewer parameters than the dense (Toeplitz) equivalent."""
        if self.dense_equivalent is None or not self.params:
            return None
        return self.dense_equivalent / self.params

    def json(self) -> dict:
        return {
            "macs": self.macs, "flops": self.flops, "element_ops": self.element_ops,
            "param_bytes": self.param_bytes, "activation_bytes": self.activation_bytes,
            "trainable_params": self.trainable,
            "rf": self.rf.json() if self.rf is not None else None,
            "dense_equivalent": self.dense_equivalent,
            "dense_ratio": self.dense_ratio,
            "times": self.times,
        }


@dataclass
class Totals:
    params: int
    trainable_params: int
    state: int
    macs: int
    element_ops: int
    param_bytes: int
    state_bytes: int
    input_bytes: int
    activation_bytes: int            # every layer's output (not the input), whole batch
    peak_forward_bytes: int          # inference, tensors freed after their last consumer; a
                                     # maximum, so a number (at the sample sizes) even where the
                                     # other figures are formulas of named sizes
    peak_forward_layer: int          # the layer index at which the peak is reached
    training_bytes: int              # activations kept + weights, gradients, Adam's 2 moments
    dense_equivalent: int            # Σ over conv and dense layers of the dense-equivalent weights

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def json(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["flops"] = self.flops
        return out


def _kernel_text(layer) -> str:
    w = layer.window() if layer is not None else None
    if w is None:
        return ""
    text = "×".join(map(str, w.kernel))
    if any(s != 1 for s in w.stride):
        text += " /" + ("×".join(map(str, w.stride)) if len(set(w.stride)) > 1 else str(w.stride[0]))
    if any(d != 1 for d in w.dilation):
        text += " d" + ("×".join(map(str, w.dilation)) if len(set(w.dilation)) > 1 else str(w.dilation[0]))
    return text


def dense_equivalent(layer, inputs, out) -> int | None:
    """Book §5.2: a convolution is a Toeplitz matrix T(h) of in_numel × out_numel weights;
    a dense layer computing the same map needs all of them, plus a bias per output element.
    A Dense layer is its own dense equivalent; other layers have none."""
    if layer is None or out is None:
        return None
    if layer.family == "conv":
        bias = out.numel if getattr(layer, "bias", False) else 0
        return inputs[0].numel * out.numel + bias
    if layer.family == "dense":
        return layer.params()
    return None


@dataclass
class Analysis:
    """The static analysis of one model (`archlang.analyze`): `layers` and `totals`.

    Shown by archlang/present, which installs `table(columns, depth)` (check's text table),
    `__str__` (that table) and the notebook's `_repr_html_` and `_repr_svg_`."""

    report: ModelReport
    batch: int
    dtype: str
    bytes_per_element: int
    records: list[LayerRecord]
    totals: Totals
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.report.name

    @property
    def layers(self) -> list[LayerRecord]:
        """Every node but the inputs, in order."""
        return [r for r in self.records if r.index > 0]

    def __getitem__(self, index: int) -> LayerRecord:
        """The layer numbered `index` in check's table (1-based; 0 is the input)."""
        return self.records[index]

    @property
    def count_notes(self) -> dict[str, str]:
        """Layer kind → how its counts are made (`Layer.count_note`), for the kinds this model
        has that say."""
        return {i.layer.kind: i.layer.count_note for i in self.report.infos
                if i.layer is not None and i.layer.count_note}

    def json(self) -> dict:
        notes = self.count_notes
        at = sample_sizes(self.report)
        return {"batch": self.batch, "dtype": self.dtype, "bytes_per_element": self.bytes_per_element,
                **self.totals.json(), **({"count_notes": notes} if notes else {}),
                **({"sample_sizes": at} if at is not None else {})}

    def __repr__(self) -> str:
        t = self.totals
        return (f"<Analysis {self.name}: {t.params:,} params, {t.macs:,} MACs, "
                f"batch {self.batch}, {self.dtype}>")

    def table_title(self) -> str:
        return self.report.title()


# Token ids are PyTorch's int64 and masks its bool, whatever the float dtype analysed.
INDEX_BYTES = {INT: 8, BOOL: 1}


def _element_bytes(out, size: int) -> int:
    return INDEX_BYTES.get(getattr(out, "dtype", FLOAT), size)


def analyze_report(report: ModelReport, batch: int = 1, dtype: str = "fp32") -> Analysis:
    """Analyse a model that checked without errors."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    name, size = dtype_bytes(dtype)
    rfs, warnings = receptive_fields(report)
    records = []
    for info, rf in zip(report.infos, rfs):
        layer, out = info.layer, info.out
        ok = layer is not None and out is not None and not isinstance(layer, Input)
        # With named input sizes (x: W×H×3) a count is a formula, kept as a polynomial.
        macs = polynomial(layer.macs(info.inputs, out)) if ok else 0
        ops = polynomial(layer.elementwise(info.inputs, out)) if ok else 0
        records.append(LayerRecord(
            node=info.node.id, index=info.index,
            layer=str(layer) if layer is not None else "<error>",
            kind=layer.kind if layer is not None else "", family=info.node.family,
            input_shapes=[tuple(s) if s is not None else None for s in info.inputs],
            output_shape=tuple(out) if out is not None else None,
            params=polynomial(info.params), trainable=polynomial(info.params), state=info.state,
            macs=macs, element_ops=ops, param_bytes=polynomial(info.params * size),
            activation_bytes=polynomial(((out.numel + layer.saved(info.inputs, out)) if ok else
                                         out.numel if out is not None else 0)
                                        * batch * _element_bytes(out, size)),
            rf=rf, dense_equivalent=polynomial(dense_equivalent(layer, info.inputs, out)) if ok else None,
            kernel=_kernel_text(layer) if ok else "", times=info.times))
    sizes = [r.activation_bytes for r in records]
    # A folded repeat's copies all have the shapes of the one that was checked: the peak of
    # one pass is the peak of every pass.
    peak, at = peak_forward(sizes, [i.node.inputs for i in report.infos],
                            {i for _, i in report.model.outputs})

    # One pass for every total (each multiplied by the copies a folded node stands for).
    params = state = kept = macs = ops = dense = 0
    for r in records:
        t = r.times
        params += r.params * t
        state += r.state * t
        kept += r.activation_bytes * t      # autograd keeps (about) every output, and the inputs
        macs += r.macs * t
        ops += r.element_ops * t
        dense += (r.dense_equivalent or 0) * t
    inputs = sum(sizes[i] for i in report.model.inputs)
    totals = Totals(
        params=params, trainable_params=polynomial(report.trainable_params), state=state,
        macs=macs, element_ops=ops,
        param_bytes=params * size, state_bytes=state * size, input_bytes=inputs,
        activation_bytes=kept - inputs, peak_forward_bytes=hint_of(peak),
        peak_forward_layer=report.infos[at].index,
        training_bytes=kept + TRAINING_PARAM_COPIES * params * size + state * size,
        dense_equivalent=dense)
    return Analysis(report, batch, name, size, records, totals, warnings)


def sample_sizes(report: ModelReport) -> dict | None:
    """The values of the named input sizes at which a model's numbers are given (the table's
    sample: check's reference, or the sizes given), None for a model without named sizes."""
    found = report.input_sizes
    if found is None:
        return None
    return dict(found.table_at or found.reference)
