"""The static shape pass: every node's output shape, parameters and state, and diagnostics.

Walks the DAG in topological order. A layer whose rule fails is diagnosed; when its output is
still well defined (a channel mismatch still yields c_out channels) checking goes on, so one
run reports every independent mistake. Never raises.
"""
from __future__ import annotations

from math import prod

from .diagnostics import (Diagnostic, Diagnostics, Label, dedupe_key, internal_error, memory_reserve,
                          working_on)
from .hints import channels_first_help, dense_input_help, window_help
from .ir.graph import Model, Node
from .ir.groups import Group
from .ir.program import load_program
from .ir.space import SetError
from .layers.base import Layer, ShapeProblem
from .layers.shape import Shape
from .layers.structural import Flatten, Input
from .layers.window import drop_margins as drop_margins_of, dropped_pixels
from .limits import MAX_DIAGNOSTICS, UNROLL_LIMIT
from .records import dataclass, field, replace
from .sizes import MAX_SECONDS, describe, input_sizes
from .symbolic import SymInt, evaluate


@dataclass(slots=True)
class LayerInfo:
    node: Node
    index: int                       # 1-based position in the table (0: the input)
    layer: Layer | None              # with sizes written `_` resolved
    inputs: list[Shape | None]
    out: Shape | None
    params: int = 0                  # of one copy: a node in a folded repeat stands for `times`
    state: int = 0
    tied_to: str | None = None       # the value whose weight it shares (`tie=`): not counted here

    @property
    def ok(self) -> bool:
        return self.out is not None

    @property
    def times(self) -> int:
        """How many copies this node stands for (a folded repeat's count; usually 1)."""
        return self.node.times


@dataclass
class ModelReport:
    """One checked model: a LayerInfo per node, in the graph's order. A notebook shows it as
    check's table (`_repr_html_`, installed by archlang/present)."""

    model: Model
    infos: list[LayerInfo]
    errors: int = 0
    input_sizes: object = None      # sizes.InputSizes of a model with named input sizes

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def ok(self) -> bool:
        return self.errors == 0 and all(i.out is not None for i in self.infos)

    @property
    def input_shape(self) -> Shape | None:
        return self.model.input_shape

    @property
    def output_shape(self) -> Shape | None:
        return self.infos[self.model.output].out

    @property
    def layers(self) -> list[LayerInfo]:
        """Every node but the inputs, in order."""
        return [i for i in self.infos if i.index > 0]

    @property
    def inputs(self) -> list[tuple[str, Shape | None]]:
        """(name, shape) of every input, in the header's order."""
        return [(self.infos[i].layer.name, self.infos[i].out) for i in self.model.inputs]

    @property
    def outputs(self) -> list[tuple[str, Shape | None]]:
        """(name, shape) of every output, in `return` order (one `out` for a layer body)."""
        return [(name, self.infos[i].out) for name, i in self.model.outputs]

    def title(self) -> str:
        """`loc(x: 64×64×1) → box: 5, cls: 10`; one output shows its shape alone."""
        ins = ", ".join(f"{n}: {s}" for n, s in self.inputs)
        outs = self.outputs
        out = str(outs[0][1]) if len(outs) == 1 else ", ".join(f"{n}: {s}" for n, s in outs)
        return f"{self.name}({ins}) → {out}"

    @property
    def params(self) -> int:
        return sum(i.params * i.times for i in self.infos)

    @property
    def trainable_params(self) -> int:
        # Every parameter a spec declares is trainable; `archlang train --freeze` changes that
        # at training time, not in the spec.
        return self.params

    @property
    def state(self) -> int:
        return sum(i.state * i.times for i in self.infos)

    @property
    def layer_count(self) -> int:
        """Layers of the model with every folded repeat counted out (what PyTorch would build)."""
        return sum(i.times for i in self.infos[1:])

    def stage_shapes(self) -> list[Shape | None]:
        """The output after each top-level element of the model's body."""
        return [self.infos[s].out for s in self.model.stages]

    def group_params(self, group: Group) -> int:
        return sum(self.infos[i].params * self.infos[i].times for i in group.node_ids())


def describe_source(report_infos: list[LayerInfo], node_id: int) -> str:
    """'the input' or 'layer 3, Conv((3, 3), 8 => 16, relu)'."""
    info = report_infos[node_id]
    if info.index == 0:
        several = sum(1 for i in report_infos if i.index == 0) > 1
        return f"the input `{info.layer.name}`" if several else "the input"
    return f"layer {info.index}, {info.layer}"


def _labels_for(problem: ShapeProblem, node: Node, infos: list[LayerInfo], model: Model) -> list[Label]:
    labels: list[Label] = []
    sources = node.inputs if (problem.blame_input or problem.join) else ()
    for i, src in enumerate(sources):
        info = infos[src]
        span = info.node.span           # an input's node spans its shape in the header
        if problem.join:
            text = f"the skip's input is {info.out}" if node.skip and i == 1 else f"gives {info.out}"
        else:
            text = f"the input is {info.out}" if info.index == 0 else f"gives {info.out}"
        labels.append(Label(span, text))
    for scope in node.scope:
        if scope.is_block:
            labels.append(Label(scope.span, f"in `{scope.label}`"))
    return labels


def _dense_source_note(node: Node, infos: list[LayerInfo]) -> tuple[str, str | None]:
    """For a Dense fed by flatten: ' (10×10×16 after layer 3, flattened)' and a note."""
    src = infos[node.inputs[0]]
    if isinstance(src.layer, Flatten):
        pre = infos[src.node.inputs[0]]
        where = "the input" if pre.index == 0 else f"layer {pre.index}"
        return (f" ({pre.out} after {where}, flattened)",
                f"{pre.out} = {pre.out.numel:,}")
    return "", None


# Errors of one model whose help may search for a fix (hints.py); later ones get plain help,
# so that a file with hundreds of errors is not hundreds of searches.
SEARCHED_ERRORS = 10


def problem_diagnostic(problem: ShapeProblem, node: Node, infos, model: Model,
                       search: bool = True) -> Diagnostic:
    span = node.spans.get(problem.arg) if problem.arg else None
    if span is None:
        span = node.span
    message, notes = problem.message, list(problem.notes)
    help_ = problem.help
    extra_labels: list[Label] = []
    if problem.code == "E0301" and infos[node.inputs[0]].out.is_vector:
        suffix, note = _dense_source_note(node, infos)
        message += suffix
        if note:
            notes.append(note)
        help_ = dense_input_help(model, infos, node, search) or help_
    elif problem.code == "E0302" and search:
        found = window_help(model, infos, node)
        if found:
            help_, dense = found
            extra_labels.append(Label(dense.span, "this layer's size is reached with padding"))
    if problem.code in ("E0300", "E0302") and node.inputs == (0,):
        help_ = channels_first_help(model, problem.code) or help_
    if problem.blame_input and node.inputs and problem.code != "E0301":
        src = infos[node.inputs[0]]
        if src.index > 0 and node.inputs[0] != node.id - 1:
            notes.append(f"the input {src.out} comes from {describe_source(infos, node.inputs[0])}")
    return Diagnostic(problem.code, message, span, label=problem.label,
                      labels=tuple(_labels_for(problem, node, infos, model) + extra_labels),
                      notes=tuple(notes),
                      help=help_)


def _strict_warnings(layer, x: Shape, node: Node, diags: Diagnostics) -> None:
    """`--strict`: a stride that does not divide the padded input evenly drops pixels."""
    w = _strided(layer, x)
    if w is None:
        return
    dropped = dropped_pixels(x, w.kernel, w.stride, w.dilation, w.pad_lo, getattr(layer, "pad_hi", w.pad_lo))
    if any(dropped):
        axes = ("width", "height", "depth") if x.rank > 1 else ("length",)
        lost = ", ".join(f"{d} {'pixel' if d == 1 else 'pixels'} of the {a}"
                         for d, a in zip(dropped, axes) if d)
        diags.warning("W0001", f"the stride drops the last {lost}", node.spans.get("stride", node.span),
                      label="no window covers them",
                      notes=(f"input {x}, window {'×'.join(map(str, w.effective_kernel))}, "
                             f"stride {'×'.join(map(str, w.stride))}",),
                      help="pad the input so that (n + padding − window) is a multiple of the stride")


def _strided(layer, x: Shape):
    """The layer's window where --strict looks for dropped pixels, else None."""
    w = layer.window()
    if w is None or x.is_vector or len(w.kernel) != x.rank or getattr(layer, "ceil", False):
        return None       # ceil mode keeps the last, partial window: nothing is dropped
    return w


def drop_margins(report: ModelReport) -> list:
    """For `exact` input sizes (sizes.py): every window's margins (window.drop_margins),
    which must all be ≤ 0 for no strided window to drop a pixel; what --strict warns about."""
    out = []
    for info in report.infos:
        if info.index == 0 or info.layer is None or info.out is None or not info.inputs \
                or info.inputs[0] is None:
            continue
        w = _strided(info.layer, info.inputs[0])
        if w is not None:
            out += drop_margins_of(info.inputs[0], w.kernel, w.stride, w.dilation, w.pad_lo,
                                   getattr(info.layer, "pad_hi", w.pad_lo))
    return out


def check_model(model: Model, diags: Diagnostics, strict: bool = False,
                explain: bool = True) -> ModelReport:
    """Every node's output shape and counts, diagnostics into `diags`. `explain=False`
    counts shape errors without making their diagnostics (no what-if search for a fix): the
    exploration of valid input sizes (sizes.py) needs only the verdict."""
    infos: list[LayerInfo] = []
    errors = 0
    index = 0
    for node in model.graph.nodes:
        ins = [infos[i].out for i in node.inputs]
        if isinstance(node.layer, Input):
            infos.append(LayerInfo(node, 0, node.layer, [], node.layer.shape))
            continue
        index += 1
        working_on(node.span)
        info = LayerInfo(node, index, node.layer, ins, None)
        infos.append(info)
        if node.layer is None or any(s is None for s in ins):
            continue          # already diagnosed upstream: no cascade of errors
        layer = node.layer.resolve(ins)
        info.layer = layer
        try:
            info.out = layer.typed(ins)
        except ShapeProblem as problem:
            if not explain:
                if not errors:      # the verdict's reason, without the search for a fix
                    at = node.spans.get(problem.arg) if problem.arg else None
                    diags.error(problem.code, problem.message, at or node.span)
            elif errors < MAX_DIAGNOSTICS:
                diags.add(problem_diagnostic(problem, node, infos, model, errors < SEARCHED_ERRORS))
            else:       # not shown (capped): counted, in a twentieth of the memory and time
                at = node.spans.get(problem.arg) if problem.arg else None
                diags.count(problem.code, problem.message, at or node.span)
            errors += 1
            info.out = problem.output
        if info.out is not None:
            info.params, info.state = layer.params(), layer.state()
            if node.tie is not None:
                problem = _tie(info, infos[node.tie[0]], node)
                if problem is not None:
                    diags.add(problem)
                    errors += 1
            if strict and ins:           # a Parameter has no input
                _strict_warnings(layer, ins[0], node, diags)
        for fold in model.graph.folds.get(node.id, ()):
            if info.out is not None and infos[fold.input].out is not None \
                    and info.out != infos[fold.input].out:
                diags.add(_fold_diagnostic(fold, infos[fold.input].out, info.out, node))
                errors += 1
                info.out = None       # the copies after the first would see other shapes
    return ModelReport(model, infos, errors)


def has_named_sizes(model: Model) -> bool:
    """Whether an input of the model has a named size (`x: W×H×3`, `tokens: T of int`)."""
    return any(isinstance(d, SymInt) for i in model.inputs
               for d in (getattr(model.graph[i].layer, "shape", None) or ()))


def check_sized(model: Model, diags: Diagnostics, strict: bool, given: dict | None = None,
                seconds: float = MAX_SECONDS) -> ModelReport:
    """check_model; for a model with named input sizes (`x: H×W×3`), first the exact set
    of valid sizes (sizes.py, explored for at most `seconds`), then the table's check at a
    valid sample of them (the `reference`; the report's `input_sizes`). `given` sizes make
    the model concrete (compile, train): its inputs get those sizes (the others the sample),
    and a size outside its valid set is E0315, naming the set."""
    if not has_named_sizes(model):
        return check_model(model, diags, strict)
    found = input_sizes(model, check_model, drop_margins, seconds)
    if given:
        return _at_sizes(model, diags, strict, found, given)
    for i in model.inputs:          # the table's sample: what the analyses after it see too
        for d in model.graph[i].layer.shape:
            if isinstance(d, SymInt) and d.is_variable:
                d.default = found.reference[str(d)]
    report = check_model(model, diags, strict)
    report.input_sizes = found
    return report


def _at_sizes(model: Model, diags: Diagnostics, strict: bool, found, given: dict) -> ModelReport:
    values = {**found.reference, **{k: v for k, v in given.items() if k in found.reference}}
    for name, v in values.items():
        valid = found.variables[name]
        if name in given and v not in valid.runs:
            span = model.graph[model.inputs[0]].span
            diags.error("E0315", f"the size {name} = {v} is outside the sizes the model accepts",
                        span, label=f"{name} = {v}",
                        notes=(f"valid: {describe(name, valid.runs.pieces())}"
                               + ("" if len(values) == 1 else " (the other sizes at "
                                  + ", ".join(f"{k} = {n}" for k, n in found.reference.items()
                                              if k != name) + ")"),),
                        help=f"choose one of them, e.g. --size {name}={_nearest(valid.runs, v)}")
    make_concrete(model, values)    # the ordinary path from here
    report = check_model(model, diags, strict)
    found.table_at = values
    report.input_sizes = found
    return report


def make_concrete(model: Model, values: dict) -> None:
    """Give the model's named input sizes these values: its inputs' shapes become numbers
    (`x: W×H×1` with W = 32, H = 16 is `x: 32×16×1`)."""
    for i in model.inputs:
        node = model.graph[i]
        node.layer = replace(node.layer, shape=Shape(
            tuple(evaluate(d.expr, values) if isinstance(d, SymInt) else d for d in node.layer.shape),
            node.layer.shape.dtype))
        if i == model.inputs[0]:
            model.input_shape = node.layer.shape


def _nearest(valid, n: int) -> int:
    """The valid size nearest n (the smaller one on a tie) for the help's example."""
    for d in range(0, 1 << 12):
        for m in (n - d, n + d):
            if m >= 1 and m in valid:
                return m
    return valid.smallest() or 1


def _tie(info: LayerInfo, owner: LayerInfo, node: Node) -> Diagnostic | None:
    """`tie=name`: the layer shares the weight of the layer that made `name`, which must have
    its shape; the shared weight is counted once, at its owner (the tied row counts the rest,
    e.g. its bias). None when the tie holds (or the owner already failed)."""
    _, name, span = node.tie
    if owner.layer is None or owner.out is None:
        return None
    mine, theirs = info.layer.weight_shape(), owner.layer.weight_shape()
    if mine is None or theirs is None:
        which = info.layer if mine is None else owner.layer
        return Diagnostic("E0314", f"{which.kind} has no weight to share", span,
                          label=f"`{name}` is {owner.layer}" if theirs is None else "no weight",
                          labels=(Label(owner.node.span, f"`{name}` is made here"),),
                          help="`tie=` shares the weight of a Dense, an Embedding or a "
                               "PositionEmbedding with a layer of the same weight shape")
    if mine != theirs:
        fix = None
        if info.layer.kind == "Dense" and len(theirs) == 2:
            fix = (f"a Dense that reads out {owner.layer} is Dense({theirs[1]} => {theirs[0]}; "
                   f"bias=false, tie={name}): nn.Linear keeps its weight as out × in, "
                   f"{owner.layer.kind} its table as rows × d")
        return Diagnostic("E0314", f"{info.layer} cannot share the weight of `{name}`: its weight "
                          f"is {'×'.join(map(str, mine))}, `{name}`'s {'×'.join(map(str, theirs))}",
                          span, label=f"weight {'×'.join(map(str, mine))}",
                          labels=(Label(owner.node.span, f"weight {'×'.join(map(str, theirs))}"),),
                          help=fix or "tied layers have weights of one shape")
    info.params -= prod(mine)
    info.tied_to = name
    return None


def _fold_diagnostic(fold, before: Shape, after: Shape, node: Node) -> Diagnostic:
    copy = fold.group.children[0]
    layers = sum(1 for _ in copy.node_ids())
    return Diagnostic(
        "E0308", f"a folded repeat must keep its input's shape, but one pass maps {before} to {after}",
        fold.span, label=f"{fold.times:,} copies of {layers} layer{'s' if layers != 1 else ''}: folded",
        notes=(f"a repeat that would unroll to more than {UNROLL_LIMIT:,} layers is checked once "
               f"and its counts are multiplied, so every copy must see the same shape",),
        help="make the body keep its shape (e.g. pad=1 on a 3×3 convolution, `_ => c` with the "
             "input's channels), or repeat it fewer times")


@dataclass
class CheckResult:
    """The checked file: one report per model, and every diagnostic of the file. A notebook
    shows it as its tables and diagnostics (`_repr_html_`, installed by archlang/present)."""

    path: str
    models: list[ModelReport] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    program: object = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def model(self, name: str | None = None) -> ModelReport:
        if name is None:
            return self.models[0]
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)


def dedupe(ds: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per problem: a block called five times with the same mistake says it once."""
    seen, out = set(), []
    for d in ds:
        key = dedupe_key(d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def check_source(source, strict: bool = False, keep_syntax: bool = True,
                 assign: list[str] | None = None, sizes: dict | None = None) -> CheckResult:
    """Check a source. Never raises: a failure inside archlang is an internal-error diagnostic
    (archlang.diagnostics.internal_error) at the part of the spec being worked on.

    `keep_syntax=False` lets the file's AST go once its models are lowered (the checks need
    only the graphs and spans): a command that prints and exits peaks lower (65 MB less for
    90,000 layers). The program keeps its blocks and train sections either way.
    `assign`: `NAME=VALUE` texts choosing the point of the file's search space to check
    (ir/space.py); a malformed one or an unknown name raises SetError, a usage error.
    `sizes`: values of named input sizes (`x: H×W×3`; see `check_sized`).
    """
    diags = Diagnostics()
    result = CheckResult(source.path)
    working_on(source.span(0))
    checking, out_of_memory = None, False
    try:
        with memory_reserve():
            result.program = load_program(source, diags, assign)
            if not keep_syntax:
                result.program.module = None
            for checking in result.program.models:
                if any(checking.graph[i].layer is None for i in checking.inputs):
                    continue
                result.models.append(check_sized(checking, diags, strict, sizes))
    except MemoryError:
        out_of_memory = True           # diagnosed below, once the traceback has let go
    except SetError:
        raise                          # the command line's mistake, not the spec's
    except Exception as exc:           # noqa: BLE001 — the one place failures become diagnostics
        diags.add(internal_error(exc))
    if out_of_memory:
        # E0206 at the part being worked on, naming the model being checked; the partial
        # results go first, so that making the diagnostic has memory again.
        note = (f"while checking model `{checking.name}` ({len(checking.graph):,} layers)",) \
            if checking is not None else ()
        result.models, checking = [], None
        if result.program is not None:
            result.program.models = []
        problem = internal_error(MemoryError())
        diags.add(problem.with_note(note[0]) if note else problem)
    # Source order, the root file first: the way a compiler lists its errors.
    kept = dedupe(diags.items)
    shown = {dedupe_key(d.code, d.message, d.span) for d in kept}
    counted = [span for key, span in diags.counted.items() if key not in shown]
    result.diagnostics = capped(sorted(kept, key=lambda d: (
        d.span is None, d.span is not None and d.span.source is not source,
        d.span.start if d.span else 0)), counted)
    return result


def capped(ds: list[Diagnostic], counted: list = ()) -> list[Diagnostic]:
    """The first MAX_DIAGNOSTICS diagnostics, then one note counting the rest (at the first
    one left out): 10^5 copies of a mistake need not be printed to be fixed. `counted`: the
    spans of errors only counted (Diagnostics.count): those past one model's first
    MAX_DIAGNOSTICS shape errors, which come after them in the table."""
    if len(ds) <= MAX_DIAGNOSTICS and not counted:
        return ds
    rest = ds[MAX_DIAGNOSTICS:]
    errors = sum(d.is_error for d in rest) + len(counted)
    counts = [f"{errors:,} more error{'s' if errors != 1 else ''}"] if errors else []
    if len(rest) > errors:
        counts.append(f"{len(rest) - errors:,} more warning{'s' if len(rest) - errors != 1 else ''}")
    first = rest[0].span if rest else min(counted, key=lambda span: span.start)
    return ds[:MAX_DIAGNOSTICS] + [Diagnostic(
        "N0001", f"and {' and '.join(counts)} (the first {len(ds[:MAX_DIAGNOSTICS])} are shown)", first,
        label="the first one not shown", severity="note",
        help="fix the ones shown and check again")]
