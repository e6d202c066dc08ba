"""The docstrings of generated classes: what each class is, and exactly its `__init__`'s
parameters.

A block class takes only the block's integer parameters and the extra numbers its calls need
(`abstract` in classes.py). An argument that is not an integer (`act`, a dropout `p`, a
kernel size `(1, 7)`) is written into the code, its numbers that differ between calls
becoming extra arguments; the docstring says so instead of naming it as an argument.
tests/backends/test_docstrings.py checks, for every spec, that a class's `Args:` section
names its `__init__` parameters, in order.
"""
from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING

from .layout import dims_text
from ...sizes import describe
from .names import doc_text

if TYPE_CHECKING:  # classes.py renders a class with the docstring made here
    from .classes import ClassDef

WIDTH = 92
"""Docstring lines are wrapped to this width (the class's indentation included)."""
ARGS = "Args:\n"
NBSP = "\u00a0"                # textwrap breaks lines at ASCII whitespace only
SHOWN_VALUES = 6
"""An argument lists at most this many of its values in the calls of the class."""


def class_doc(cls: ClassDef, source_path: str) -> list[str]:
    """The docstring of a generated class as indented source lines, quotes included."""
    if cls.model:
        paragraphs = model_doc(cls.first, source_path)
    else:
        paragraphs = block_doc(cls, source_path)
    if len(paragraphs) == 1 and len(paragraphs[0]) + 10 <= WIDTH:      # `    """…"""`
        return [f'    """{paragraphs[0]}"""']
    lines = _wrapped(paragraphs[0], '    """', "    ")
    for p in paragraphs[1:]:
        lines.append("")
        if p.startswith(ARGS):
            lines.append("    " + ARGS.strip())
            for arg in p[len(ARGS):].splitlines():
                lines += _wrapped(arg, "        ", "            ")
        else:
            lines += _wrapped(p, "    ", "    ")
    return lines + ['    """']


def _wrapped(text: str, first: str, rest: str) -> list[str]:
    """Lines of at most WIDTH characters; never broken inside `act = relu` (NBSP)."""
    return [line.replace(NBSP, " ") for line in textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=rest,
        break_long_words=False, break_on_hyphens=False)]


def model_doc(occ, source_path: str) -> list[str]:
    """`model2(x: 28×28×1) from FILE.` and the model's PyTorch shapes and parameter count.
    A model class's `__init__` takes no argument: no Args section."""
    report = occ.report

    def dims(node):
        info = report.infos[node]
        text = "N×" + "×".join(dims_text(report, occ.layouts, node, returned=True))
        return text if info.out.is_float else f"{text} {info.out.dtype}"
    if report.model.graph_body:
        names = lambda nodes: ", ".join(f"{doc_text(n)} {dims(i)}" for n, i in nodes)  # noqa: E731
        title = doc_text(report.title())
        ins = [(report.infos[i].layer.name, i) for i in report.model.inputs]
        shapes = (f"In PyTorch's layout: inputs {names(ins)}; outputs "
                  f"{names(report.model.outputs)} (a tuple in this order when there are several)")
    else:
        inp = report.model.input_shape
        title = f"{doc_text(report.model.name)}({doc_text(report.model.input_name)}: {inp})"
        shapes = (f"In PyTorch's layout: input {dims(report.model.inputs[0])}, output "
                  f"{dims(report.model.output)}")
    return [f"{title} from {doc_text(source_path)}.", f"{shapes}; {report.params:,} parameters.",
            *named_sizes(report)]


def named_sizes(report) -> list[str]:
    """For a model compiled with named input sizes (`x: W×H×1`, no --size): the sizes the
    module takes, archlang check's sets (archlang/sizes.py) — it is the same module at every
    one of them, its code reading sizes from its inputs."""
    found = report.input_sizes
    if found is None or found.table_at is not None:
        return []
    sets = []
    for name, v in found.variables.items():
        runs, exact = describe(name, v.runs.pieces()), describe(name, v.exact.pieces())
        sets.append(runs if runs == exact else f"{runs} (no row or column dropped at {exact})")
    joint = "".join(f", where {j}" for j in found.joint)
    return [doc_text(f"Named input sizes: it runs at {', '.join(sets)}{joint}; the shapes "
                     "above and in forward are formulas of them.")]


def spec_block_name(cls: type) -> str | None:
    """The spec's block a compiled class was generated from, read from the first line of its
    docstring (`Block SwinTransformerBlock of swin_t.arch.`, block_doc below): one block may
    compile to several classes (`SwinTransformerBlock3` where its code differs), which
    `archlang from-torch` reads back as the one block. None for any other class."""
    found = re.match(r"Block (\w+) of ", cls.__doc__ or "")
    return found.group(1) if found else None


def block_doc(cls: ClassDef, source_path: str) -> list[str]:
    """`Block B of FILE.`, what became of the arguments that are not `__init__` parameters,
    and an Args section: one line per `__init__` parameter, what it is and its values in the
    calls of the class."""
    paragraphs = [f"Block {doc_text(cls.spec_name)} of {doc_text(source_path)}."]
    fixed, varying = [], []
    for pname, _ in cls.first.group.args:
        if pname not in cls.spec_params.values():
            values = _distinct([dict(o.group.args)[pname] for o in cls.occs])
            if len(values) == 1:
                fixed.append(f"{doc_text(pname)}{NBSP}={NBSP}{_values(values)}")
            else:
                varying.append(f"{doc_text(pname)} ({_values(values)})")
    if fixed:
        paragraphs.append(f"Written into its code: {_and(fixed)}.")
    if len(varying) == 1:
        paragraphs.append(f"Its {varying[0]} is not an argument: where it differs between "
                          "calls, its numbers are.")
    elif varying:
        paragraphs.append(f"Its {_and(varying)} are not arguments: where they differ between "
                          "calls, their numbers are.")
    args = [f"{name}: {_meaning(cls, name)}; {_values(_distinct(values), every=True)}"
            for name, values in _parameter_values(cls)]
    if args:
        paragraphs.append(ARGS + "\n".join(args))
    return paragraphs


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _parameter_values(cls: ClassDef) -> list[tuple[str, list]]:
    """Each `__init__` parameter of a block class, in order, with its value in each call."""
    values = dict(cls.known)
    for o in cls.occs:
        for name, v in o.kwargs:
            values.setdefault(name, []).append(v)
    return [(name, values[name]) for name in cls.params]


def _meaning(cls: ClassDef, name: str) -> str:
    if name in cls.spec_params:
        return f"the spec's {doc_text(cls.spec_params[name])}"
    if name == cls.channels:
        return "the block's input channels (`_` in the spec)"
    return "a number of its code that differs between calls"


def _distinct(values: list) -> list:
    return list(dict.fromkeys(values))


def _values(values: list, every: bool = False) -> str:
    """`768 in every call`, `64, 128 or 256`, `1, 2, 3, 4, 5, 6, … (9 values)`."""
    shown = [_spec_text(v) for v in values[:SHOWN_VALUES]]
    if len(values) == 1:
        return f"{shown[0]} in every call" if every else shown[0]
    if len(values) > SHOWN_VALUES:
        return ", ".join(shown) + f", … ({len(values)}{NBSP}values)"
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def _spec_text(value) -> str:
    """A block argument as the spec writes it (`true`, `relu`, `(1, 7)`), safe in a docstring."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "(" + ", ".join(_spec_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return doc_text(value)
