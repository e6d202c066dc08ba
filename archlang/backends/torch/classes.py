"""Block and model classes: sharing a class between calls that differ in numbers, rendering."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .tables import ACT_MODULES, ACTIVATIONS, INITS, VARIABLES
from .docstrings import class_doc
from .layout import converted, dims_text, shape_of
from .names import doc_text, plain, safe_identifier
from .text import fmt, fmt_lines, ints_of, wrap
from .occurrences import Item, Occurrence, keyed
from ...ir.groups import Group
from ...layers.torch_code import Template


# ---- classes -----------------------------------------------------------------------------
@dataclass(eq=False)
class ClassDef:
    name: str
    occs: list[Occurrence]
    spec_name: str
    params: list[str] = field(default_factory=list)      # constructor parameters, in order
    extras: list[str] = field(default_factory=list)      # of them, the keyword-only extras
    slots: list[str] = field(default_factory=list)       # code of each constructor int
    model: bool = False
    known: list = field(default_factory=list)            # (parameter, its value per call)
    spec_params: dict[str, str] = field(default_factory=dict)   # parameter → the spec's name
    channels: str | None = None          # the extra that is the block's input channels

    @property
    def first(self) -> Occurrence:
        return self.occs[0]


def abstract(cls: ClassDef) -> None:
    """Choose the code of every constructor number of a class (see the module docstring)."""
    occs = cls.occs
    cols = list(zip(*[[n for it in o.items if (c := o.ctor(it)) is not None for n in ints_of(c)]
                      for o in occs]))
    owners = [w for it in occs[0].items if occs[0].ctor(it) is not None for w in _owners(occs[0], it)]
    names: list[str] = []
    values: list[list[int]] = []        # per parameter, its value in each call
    if not cls.model:
        for pname, _ in occs[0].group.args:
            vals = [dict(o.group.args)[pname] for o in occs]
            if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
                names.append(safe_identifier(plain(pname), names))
                values.append(vals)
                cls.spec_params[names[-1]] = pname
    extras: dict[tuple, str] = {}
    slots = []
    used: dict[int, set] = {}            # node → the parameters its earlier numbers took
    for col, owner in zip(cols, owners):
        col = list(col)
        const = len(set(col)) == 1
        fits = [n for n, v in zip(names, values) if v == col and (not const or col[0] >= 2)]
        hit = _as_written(fits, owner, cls, used.setdefault(owner, set())) if fits else None
        if hit is None and not const:
            hit = _expression(col, names, values)
        if hit is None and const:
            hit = str(col[0])
        if hit is None:
            key = tuple(col)
            if key not in extras:
                channels = [o.report.infos[o.input].out for o in occs]
                base = "c_in" if all(not s.is_vector and s.channels == v for s, v in zip(channels, col)) else "n"
                extras[key] = safe_identifier(base if base == "c_in" else f"n{len(extras) + 1}",
                                              names + list(extras.values()))
                if base == "c_in":
                    cls.channels = extras[key]
            hit = extras[key]
        slots.append(hit)
    cls.params = names + list(extras.values())
    cls.known = list(zip(names, values))
    cls.extras = list(extras.values())
    cls.slots = slots
    for i, o in enumerate(occs):
        o.args = [v[i] for v in values]
        o.kwargs = [(name, key[i]) for key, name in extras.items()]


def _owners(o: Occurrence, it: Item) -> list[int | None]:
    """Per number of an item's constructor (in `ints_of` order), the layer node it comes
    from (None: a block instance's argument)."""
    if it.code is not None:
        return [it.out] * len(ints_of(o.ctor(it)))
    if it.members:
        return _member_owners(it.members)
    return [None] * len(ints_of(o.ctor(it)))


def _member_owners(members: list) -> list[int | None]:
    out: list[int | None] = []
    for _, m, role in keyed(members):
        if role == "inner":
            out += _member_owners(m.inner)
        elif role == "block":
            out += [None] * len(ints_of(m.occ.instance()))
        elif role == "layer":
            out += [m.node] * len(ints_of(m.code.module))
        elif role == "act":
            out += [m.node] * len(ints_of(ACT_MODULES[m.code.act]))
    return out


def _as_written(fits: list[str], owner: int | None, cls: ClassDef, used: set) -> str:
    """Of the parameters whose values a number has in every call, the one the layer names:
    `BottleneckDown(256, 64, 256, 2)` gives cin and cout the same value, and its
    `Conv((1, 1), mid => cout)` must read `nn.Conv2d(mid, cout)`, not `(mid, cin)`. The
    parameters written in the layer's text come first, in the order written, each taken
    once per layer while another is left."""
    if len(fits) == 1 or owner is None:
        return fits[0]
    span = cls.first.report.model.graph[owner].span
    text = span.text if span is not None else ""
    where = {n: m.start() for n in fits
             if (m := re.search(rf"(?<![\w]){re.escape(cls.spec_params.get(n, n))}(?![\w])", text))}
    written = sorted(where, key=where.get) or fits
    hit = next((n for n in written if n not in used), written[0])
    used.add(hit)
    return hit


def _expression(col, names, values) -> str | None:
    pairs = list(zip(names, values))
    for i, (n, v) in enumerate(pairs):
        for m, w in pairs[i:]:
            if col == [a * b for a, b in zip(v, w)]:
                return f"{n} * {m}"
            if m != n and col == [a + b for a, b in zip(v, w)]:      # n + n is 2 * n, below
                return f"{n} + {m}"
    for n, v in pairs:
        for k in range(2, 9):
            if col == [a * k for a in v]:
                return f"{k} * {n}"
            if all(a % k == 0 for a in v) and col == [a // k for a in v]:
                return f"{n} // {k}"
    return None


def shape_comment(cls: ClassDef, it_index: int) -> str:
    """N×C×H×W of a line; a dim that differs between the calls of a block shows as a letter."""
    if cls.model:       # one call: its sizes, formulas of the model's named sizes if it has them
        o = cls.first
        return "N×" + "×".join(dims_text(o.report, o.layouts, o.items[it_index].out))
    shapes = [o.shapes(o.items[it_index]) for o in cls.occs]
    first = shapes[0]
    if len({len(s) for s in shapes}) > 1:
        # One block called on an image and on a vector (a Dropout block): no common layout.
        return "N×… (the calls differ in rank)"
    letters = ("C", *("DHW"[-(len(first) - 1):] if len(first) > 1 else ())) if len(first) > 1 else ("F",)
    dims = []
    for d in range(len(first)):
        vals = [s[d] for s in shapes]
        named = None
        if d == 0 and len(set(vals)) > 1:
            names, values = [n for n, _ in cls.known], [v for _, v in cls.known]
            named = next((n for n, v in cls.known if v == vals), None) or \
                _expression(vals, names, values)
            named = named and named.replace(" * ", "·").replace(" + ", "+").replace(" // ", "÷")
        if d > 0 and len(set(vals)) > 1:
            named = _spatial(cls, d, vals, letters[d])
        dims.append(str(first[d]) if len(set(vals)) == 1 else named or letters[d])
    return "N×" + "×".join(dims)


def _spatial(cls: ClassDef, d: int, vals: list[int], letter: str) -> str:
    """A spatial size that differs between calls, relative to the block's input: `H`, `H/2`,
    `H/s` (a parameter that is the ratio in every call), or `H′` when no ratio holds."""
    ins = [shape_of(o.report, o.layouts, o.input)[d] for o in cls.occs]
    if vals == ins:
        return letter
    ratios = [i // v if v and i % v == 0 else None for i, v in zip(ins, vals)]
    if None in ratios:
        # Odd sizes: a stride-s window gives ⌈n/s⌉ (SamePad, or k = 2p + 1).
        ratios = [next((r for r in range(2, 65) if -(-i // r) == v), None) for i, v in zip(ins, vals)]
    if None not in ratios:
        param = next((n for n, v in cls.known if v == ratios), None)
        if param is not None:
            return f"{letter}/{param}"
        if len(set(ratios)) == 1:
            return f"{letter}/{ratios[0]}"
    return letter + "′"


def render_class(cls: ClassDef, source_path: str) -> str:
    o = cls.first
    slot = iter(cls.slots)
    num = lambda v: next(slot)      # noqa: E731  (ints are rendered in `ints_of` order)
    report = o.report
    pos = [p for p in cls.params if p not in cls.extras]
    sig = "".join(f", {p}" for p in pos) + "".join([", *"] + [f", {p}" for p in cls.extras]
                                                   if cls.extras else [])
    lines = [f"class {cls.name}(nn.Module):", *class_doc(cls, source_path), ""]
    if cls.model and report.model.graph_body:
        names = ", ".join(f'"{doc_text(n)}"' for n, _ in report.model.outputs)
        lines += [f"    output_names = ({names}{',' if len(report.model.outputs) == 1 else ''})", ""]
    lines += [f"    def __init__(self{sig}):", "        super().__init__()"]
    header = len(lines)
    inits = []
    for it in o.items:
        ctor = o.ctor(it)
        if ctor is None:
            continue
        if it.copies:
            text = _sequential(it, num)
        else:
            text = fmt_lines(ctor, num, "        ", LISTED_WIDTH + 8)
        lines.append(f"        self.{it.attr} = {text}")
        if it.code is not None and it.code.init != "default":
            inits.append(f"        {INITS[it.code.init].format(f'self.{it.attr}.weight')}")
            if ("bias", False) not in it.code.module.kwargs:
                inits.append(f"        nn.init.zeros_(self.{it.attr}.bias)")
    lines += tie_lines(o)
    if len(lines) == header and not inits:
        lines.append("        pass")
    lines += inits
    body, args = forward_lines(o)
    lines += ["", f"    def forward(self, {', '.join(args)}):"]
    lines += [f"        {line}" for line in commented(
        [(text, f"# {shape_comment(cls, idx)}" if idx is not None else "") for text, idx in body])]
    return "\n".join(lines) + "\n"


def tie_lines(o: Occurrence) -> list[str]:
    """`tie=wte`: the tied layer's weight is the owner's Parameter itself, assigned once both
    exist (GPT-2's `lm_head.weight = wte.weight`), so that `module.parameters()` holds it once,
    as check counts it. Ties are written in graph bodies: a model's own attributes."""
    attrs = {it.out: it.attr for it in o.items if it.attr}
    graph = o.report.model.graph
    return [f"        self.{it.attr}.weight = self.{attrs[graph[it.out].tie[0]]}.weight  # tied: one Parameter"
            for it in o.items if it.code is not None and graph[it.out].tie is not None]


COMMENT_COLUMN_CAP = 60
"""Code lines up to this many characters line their comments up; longer ones do not push
the column out for all the others."""


def commented(lines: list[tuple[str, str]]) -> list[str]:
    """Code lines with their comments (PEP 8: at least two spaces before `#`), the comments of
    a forward in one column: two spaces past its longest commented line of at most
    COMMENT_COLUMN_CAP characters. A longer line keeps its comment two spaces after it."""
    width = max((len(code) for code, c in lines if c and len(code) <= COMMENT_COLUMN_CAP),
                default=0) + 2
    return [code if not c else f"{code.ljust(width)}{c}" if len(code) <= width - 2 else f"{code}  {c}"
            for code, c in lines]


LISTED_WIDTH = 72
"""Listed copies longer than this (DenseNet's 24 DenseLayer calls) go one per line."""


def _sequential(it: Item, num) -> str:
    """A repeat's nn.Sequential. One rule for every n: copies built alike are written once,
    `nn.Sequential(*[B(64) for _ in range(n)])`, so that the count reads as the spec's
    `repeat(n, …)` and the line does not grow with n; copies that differ (a first copy whose
    input size is inferred differently) are listed one by one. Both give the submodules 0…n−1,
    so the state_dict keys are the same either way."""
    texts = [fmt(c.instance(), num) for c in it.copies]      # consumes every copy's slots
    if len(set(texts)) == 1:
        return f"nn.Sequential(*[{texts[0]} for _ in range({it.times or len(texts)})])"
    one_line = "nn.Sequential(" + ", ".join(texts) + ")"
    if len(one_line) <= LISTED_WIDTH:
        return one_line
    return "nn.Sequential(\n" + "".join(f"            {t},\n" for t in texts) + "        )"


def forward_lines(o: Occurrence, held: list | None = None) -> tuple[list[tuple[str, int | None]], list[str]]:
    """`out = expr` per item, reusing a variable once its value is dead (x first); and the
    forward's arguments (`x`, or a graph body's input names). In a graph body the inputs and
    the statements keep their names (`box = self.box(h)`); only the other variables are reused.
    `held`, if given, receives per item (k, variable): the item's value is in `variable` when
    the forward reaches its line k (0: the first); the module map records it (modulemap.py)."""
    outputs = [n for _, n in o.outputs] or [o.output]
    last: dict[int, int] = {}
    for i, it in enumerate(o.items):
        for n in it.inputs:
            last[n] = i
    for n in outputs:
        last[n] = len(o.items)
    named: dict[int, str] = {}
    if o.inputs and o.report.model.graph_body:
        var, args = {}, []
        for n in o.inputs:
            var[n] = _variable(o.report.infos[n].layer.name, args)
            args.append(var[n])
        named = _statement_variables(o, args)
    else:
        var, args = {o.input: "x"}, ["x"]
    fixed = set(named.values()) | (set(args) if named or len(args) > 1 else set())
    live = set(args)
    out = []
    for i, it in enumerate(o.items):
        # A Parameter has no input; its template takes any live tensor for the batch size.
        vs = [var[n] for n in it.inputs] or [min(live, key=_rank)]
        dead = [var[n] for n in dict.fromkeys(it.inputs) if last.get(n) == i]
        for v in dead:
            live.discard(v)
        reusable = [v for v in dead if v not in fixed]
        target = named.get(it.out) or (min(reusable, key=_rank) if reusable else _fresh(live | fixed))
        live.add(target)
        var[it.out] = target
        expr = item_expr(it, vs)
        if expr != target:
            out.append((f"{target} = {expr}", i))
        if held is not None:
            held.append((len(out), target))
    if o.group.is_model:
        # Images and volumes leave the model channels first (backends/torch/layout.py).
        out.append((f"return {', '.join(_returned(o, n, var[n]) for n in outputs)}", None))
    else:
        out.append((f"return {', '.join(var[n] for n in outputs)}", None))
    return out, args


def _returned(o: Occurrence, node: int, variable: str) -> str:
    """A model output in the layout it is returned in, from the one the forward holds it in."""
    target, held = o.layouts.output(node), o.layout(node)
    if target is None or held is None or target == held:
        return variable
    return converted(variable, len(o.report.infos[node].out), target)


def _statement_variables(o: Occurrence, taken: list[str]) -> dict[int, str]:
    """A graph body's statements → variable names (node → name); an alias (`y = x`) has none."""
    named: dict[int, str] = {}
    for g in o.group.children:
        if isinstance(g, Group) and g.is_value and g.name and list(g.node_ids()) \
                and g.output not in named:
            named[g.output] = _variable(g.name, taken + list(named.values()))
    return named


def _variable(name: str, taken: list[str]) -> str:
    """A spec name as a forward variable: x, h, y, z as they are, others made safe."""
    return name if name in VARIABLES and name not in taken else safe_identifier(name, taken)


def _rank(v: str) -> tuple:
    return (VARIABLES.index(v), "") if v in VARIABLES else (len(VARIABLES), v)


def _fresh(live: set) -> str:
    for v in VARIABLES:
        if v not in live:
            return v
    i = 1
    while f"h{i}" in live:
        i += 1
    return f"h{i}"


def item_expr(it: Item, vs: list[str]) -> str:
    if any(it.converts):
        vs = [converted(v, move[1], move[0]) if move else v for v, move in zip(vs, it.converts)]
    v = vs[0]
    if it.code is None:
        return f"self.{it.attr}({v})"
    c = it.code
    if isinstance(c.call, Template):
        e = c.call.text.format(*vs, self=f"self.{it.attr}")
        for p in c.post:
            e = wrap(p, e, vs)
    elif c.module is not None:
        e = f"self.{it.attr}({wrap(c.pre, v, vs) if c.pre is not None else v})"
        for p in c.post:
            e = wrap(p, e, vs)
    else:
        e = wrap(c.call, v, vs)
        for p in c.post:          # a chain of views: reshape → permute → reshape
            e = wrap(p, e, vs)
    return ACTIVATIONS[c.act].format(e, dim=it.act_dim)
