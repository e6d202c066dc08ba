"""What an editor asks about a spec, answered from a check: no protocol here (server.py speaks
LSP; the web playground uses the same answers).

Positions are character offsets into the document's text; `utf16_position` and
`offset_of` convert to and from the (line, UTF-16 column) pairs that LSP and browsers count in.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cached_property
from pathlib import Path

from ..check import CheckResult, ModelReport, check_source
from ..diagnostics import Diagnostic
from ..source import Source, Span
from ..syntax import ast

KEYWORDS = {
    "model": "model NAME(x: 28×28×1) = Chain(...)",
    "block": "block NAME(c, k=2) = Chain(...)",
    "import": 'import "std/resnet.arch"',
    "train": "train NAME { data = digits(28) ... }",
    "param": "param NAME in 2..6",
}


# ---- positions --------------------------------------------------------------------------
class Lines:
    """Offsets ↔ (0-based line, UTF-16 column), as LSP and JavaScript count."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, utf16_len(self.text[self.starts[line]:offset])

    def offset(self, line: int, column: int) -> int:
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[max(0, line)]
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        units = 0
        for i in range(start, end):
            if units >= column:
                return i
            units += 2 if ord(self.text[i]) > 0xFFFF else 1
        return end


def utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# ---- one analysed document ----------------------------------------------------------------
@dataclass
class Document:
    """A spec's text as the editor holds it, checked (imports resolve beside `path`)."""

    path: str
    text: str
    result: CheckResult = field(init=False)
    _maps: dict = field(init=False, repr=False, default_factory=dict)   # see `compiled`

    def __post_init__(self):
        self.source = Source(self.path, self.text)
        self.lines = Lines(self.text)
        self.result = check_source(self.source)

    @property
    def module(self) -> ast.Module | None:
        return self.result.program.module if self.result.program is not None else None

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """What `archlang check` reports: the check's, then the analysis's warnings (W0401)."""
        return list(self.result.diagnostics) + [w for a in self.analyses.values()
                                                for w in a.warnings]

    def here(self, span: Span | None) -> bool:
        return span is not None and span.source is self.source

    @cached_property
    def analyses(self) -> dict:
        from ..analysis import analyze_report
        return {m.name: analyze_report(m) for m in self.result.models if m.ok}

    def compiled(self, report: ModelReport):
        """The module map of a checked model (backends/torch/modulemap.py: which attribute of
        the compiled module holds each layer), or None if it has errors. Made once per model."""
        if report.name not in self._maps:
            from ..backends.torch import generate      # code generation only: no torch
            self._maps[report.name] = \
                generate([report], self.path).maps[report.name] if report.ok else None
        return self._maps[report.name]

    # -- hover --------------------------------------------------------------------------
    def hover(self, offset: int) -> tuple[str, Span] | None:
        """Markdown about the innermost layer (or model) at offset, and the span it covers."""
        hits = []
        for report in self.result.models:
            for info in report.layers:
                s = info.node.span
                if self.here(s) and s.start <= offset < max(s.end, s.start + 1):
                    hits.append((s.end - s.start, report, info))
        if hits:
            size = min(h[0] for h in hits)
            uses = [(r, i) for n, r, i in hits if n == size]
            return self._layer_hover(uses), uses[0][1].node.span
        for report in self.result.models:
            name_span = report.model.name_span if hasattr(report.model, "name_span") else None
            if self.here(name_span) and name_span.start <= offset < name_span.end:
                return self._model_hover(report), name_span
        return None

    def _layer_hover(self, uses) -> str:
        report, info = uses[0]
        title = f"**`{info.layer}`**" if info.layer is not None else "**layer with errors**"
        out = []
        for report, info in uses[:3]:
            where = f"layer {info.index} of `{report.name}`"
            scope = [s.label for s in info.node.scope if s.is_block]
            if scope:
                where += " (in " + " › ".join(f"`{s}`" for s in scope) + ")"
            inputs = ", ".join(str(s) if s is not None else "?" for s in info.inputs)
            lines = [f"{where}: {inputs} → {info.out if info.out is not None else '?'}"]
            rec = self.analyses.get(report.name)
            rec = rec.records[info.node.id] if rec is not None else None
            facts = [f"{info.params:,} parameters"]
            if info.state:
                facts.append(f"{info.state:,} state")
            if rec is not None:
                facts.append(f"{rec.macs:,} MACs" if rec.macs is not None else "MACs ?")
                if rec.rf is not None:
                    facts.append(f"receptive field {rec.rf.text()}")
            compiled = self.compiled(report)
            if compiled is not None and info.node.id in compiled.layers:
                facts.append(f"compiled as `{compiled.layers[info.node.id]}`")
            lines.append(" · ".join(facts))
            out.append("\n\n".join(lines))
        if len(uses) > 3:
            out.append(f"… and {len(uses) - 3} more uses")
        return title + "\n\n" + "\n\n---\n\n".join(out)

    def _model_hover(self, report: ModelReport) -> str:
        a = self.analyses.get(report.name)
        head = f"**model `{report.name}`**: {report.input_shape} → {report.output_shape or '?'}"
        facts = [f"{report.params:,} parameters", f"{len(report.layers)} layers"]
        if a is not None:
            facts.append(f"{a.totals.macs:,} MACs")
        return head + "\n\n" + " · ".join(facts)

    # -- go to definition ---------------------------------------------------------------
    def definition(self, offset: int) -> Span | Path | None:
        """Where the block called at offset is defined, or the file an import names."""
        module = self.module
        if module is None:
            return None
        for node in walk(module.definitions):
            if isinstance(node, ast.ImportStmt) and _inside(node.path_span, offset):
                return resolve_import(self.path, node.path)
            if isinstance(node, ast.Call) and _inside(node.func_span, offset):
                block = self.result.program.blocks.get(node.func)
                return block.name_span if block is not None else None
        return None

    # -- outline -------------------------------------------------------------------------
    def symbols(self) -> list[tuple[str, str, str, Span, Span]]:
        """(kind, name, detail, span, name span) of every model, block, train section and
        parameter."""
        out = []
        for d in self.module.definitions if self.module is not None else ():
            if isinstance(d, ast.ModelDef):
                report = next((m for m in self.result.models if m.name == d.name), None)
                detail = f"{report.input_shape} → {report.output_shape}" \
                    if report is not None and report.ok else d.input_shape.span.text
                out.append(("model", d.name, detail, d.span, d.name_span))
            elif isinstance(d, ast.BlockDef):
                params = ", ".join(p.name for p in d.params)
                out.append(("block", d.name, f"({params})", d.span, d.name_span))
            elif isinstance(d, ast.TrainDef):
                out.append(("train", d.model, "training settings", d.span, d.model_span))
            elif isinstance(d, ast.ParamDef):
                detail = f"in {d.domain.span.text}" if d.domain is not None else f"= {d.value.span.text}"
                out.append(("param", d.name, detail, d.span, d.name_span))
        return out

    # -- completion ----------------------------------------------------------------------
    def completions(self) -> list[tuple[str, str, str, str]]:
        """(label, kind, signature, documentation): layers, activations, constructs, blocks."""
        items = list(builtin_completions())
        for name, block in sorted(self.result.program.blocks.items()
                                  if self.result.program is not None else ()):
            params = ", ".join(p.name + (f"={p.default.span.text}" if p.default else "")
                               for p in block.params)
            items.append((name, "block", f"{name}({params})",
                          f"block defined in {Path(block.span.source.path).name}"))
        return items


def builtin_completions() -> list[tuple[str, str, str, str]]:
    from ..functions import FUNCTIONS
    from ..ir.lower import STRUCTURAL
    from ..layers import REGISTRY
    from ..layers.args import ACTIVATIONS
    from ..layers.bind import signature
    items = [(k, "keyword", v, "") for k, v in KEYWORDS.items()]
    # Activations are layers too (`Chain(..., relu)`): listed as functions, first.
    items += [(a, "activation", a, "activation: an argument of a layer, or a layer")
              for a in ACTIVATIONS]
    for name, cls in sorted(REGISTRY.items()):
        doc = (cls.__doc__ or "").strip().split("\n")[0]
        items.append((name, "layer", signature(cls, name), doc))
    items += [(s, "construct", s, "") for s in STRUCTURAL]
    items += [(f.name, "function", f.signature, f"{f.doc}; in Python: {f.python}")
              for f in FUNCTIONS.values()]
    seen, out = set(), []
    for item in items:
        if item[0] not in seen:
            seen.add(item[0])
            out.append(item)
    return out


def resolve_import(importer: str, path: str) -> Path | None:
    from ..ir.program import std_root
    candidates = [Path(importer).parent / path]
    if path.startswith("std/"):
        candidates.append(std_root() / path[len("std/"):])
    return next((c.resolve() for c in candidates if c.is_file()), None)


def _inside(span: Span, offset: int) -> bool:
    return span.start <= offset <= span.end


def walk(node):
    """Every AST node under node (iteratively: specs nest deeply)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (list, tuple)):
            stack.extend(n)
        elif is_dataclass(n) and isinstance(n, ast.Node):
            yield n
            stack.extend(getattr(n, f.name) for f in fields(n))
