"""A spec file with its imports: parse, gather blocks, lower every model to a graph.

Imports are relative to the importing file; `std/...` also finds archlang's bundled standard
library. An import may not climb out of the directory of the file the user named (or the
standard library), and cycles are reported with the whole chain.
"""
from __future__ import annotations

import os
from pathlib import Path

from .. import vocabulary
from ..diagnostics import Diagnostic, Diagnostics, Label, Problem, working_on
from ..limits import MAX_FILE_BYTES, MAX_PROGRAM_BYTES
from ..records import dataclass, field
from ..source import Source
from ..syntax import ast, parse
from .graph import Model, TooManyNodes, build_graph_model, build_model
from .lower import Lowerer
from .space import Space, space_of
from .values import ValueLowerer


def std_root() -> Path:
    from ..syntax.parser import PACKAGE
    return PACKAGE / "std"


def read_source(path: str | os.PathLike) -> Source | Diagnostic:
    """Read a spec as UTF-8 text; a file that is not text gets a diagnostic, not a traceback."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            # One byte past the limit is enough to know the file is too large (parse says so).
            data = f.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as err:          # ValueError: a NUL in the name
        return Diagnostic("E0106", f"cannot read `{path}`: {getattr(err, 'strerror', None) or err}", None)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if len(data) > MAX_FILE_BYTES:      # a multi-byte character cut at the limit
            return Source(str(path), data.decode("utf-8-sig", "replace"))
        src = Source(str(path), data[:err.start].decode("utf-8", "replace"))
        return Diagnostic("E0001", f"the file is not UTF-8 text (byte 0x{data[err.start]:02X} at "
                          f"offset {err.start})", src.span(len(src.text)),
                          help="an .arch spec is UTF-8 text; is this the right file?")
    return Source(str(path), text)


@dataclass
class Program:
    source: Source
    module: ast.Module | None
    blocks: dict[str, ast.BlockDef] = field(default_factory=dict)
    models: list[Model] = field(default_factory=list)
    trains: list[ast.TrainDef] = field(default_factory=list)
    space: Space = field(default_factory=Space)
    point: dict = field(default_factory=dict)        # the point of `space` the models are at
    constants: dict = field(default_factory=dict)    # every `param`'s value there (A.Arg)
    failed: list[str] = field(default_factory=list)  # imports that could not be read


class _Loader:
    def __init__(self, root_dir: Path, diags: Diagnostics):
        self.roots = [root_dir.resolve(), std_root().resolve()]
        self.diags = diags
        self.loaded: dict[Path, ast.Module | None] = {}
        self.blocks: dict[str, ast.BlockDef] = {}
        self.bytes = 0              # read so far, the root file's included (MAX_PROGRAM_BYTES)

    def add_blocks(self, module: ast.Module) -> None:
        for b in module.blocks:
            builtin = vocabulary.builtin(b.name)
            if builtin:
                # A call resolves built-ins and blocks in one namespace: no shadowing.
                self.diags.error("E0107", f"block `{b.name}` has the name of {builtin}", b.name_span,
                                 label="a built-in name", help=f"rename the block, e.g. `{b.name}Block`")
                continue
            prev = self.blocks.get(b.name)
            if prev is not None and prev is not b:
                self.diags.error("E0104", f"block `{b.name}` is defined twice", b.name_span,
                                 label="defined again here",
                                 labels=(Label(prev.name_span, "first defined here"),)
                                 if prev.name_span.source is b.name_span.source else (),
                                 notes=() if prev.name_span.source is b.name_span.source else
                                 (f"first defined at {prev.name_span.location()}",),
                                 help="rename one of them")
                continue
            self.blocks[b.name] = b

    def resolve(self, imp: ast.ImportStmt, importer: Source) -> Path | None:
        base = Path(importer.path).parent
        candidates = [base / imp.path]
        if imp.path.startswith("std/"):
            candidates.append(std_root() / imp.path[len("std/"):])
        if not imp.path.endswith(".arch"):
            # Never open another kind of file: its first line would be shown as a syntax error.
            self.diags.error("E0106", f"import `{imp.path}` is not an .arch spec", imp.path_span,
                             label="not a .arch file", help="imports load `.arch` specs only")
            return None
        for c in candidates:
            if _is_file(c):
                real = c.resolve()
                if not any(real.is_relative_to(r) for r in self.roots):
                    self.diags.error("E0106", f"import `{imp.path}` climbs out of `{self.roots[0]}`",
                                     imp.path_span, label="outside the spec's directory",
                                     help="imports stay inside the directory of the file you named "
                                          "or use the standard library (`std/...`)")
                    return None
                return real
        written = imp.path_span.text
        self.diags.error("E0106", f"cannot find `{imp.path}`", imp.path_span, label="no such file",
                         help='write paths with `/`: a `\\` in a string starts an escape'
                         if "\\" in written else
                         f"paths are relative to {base or Path('.')}/; the standard library is "
                         f"imported as `std/resnet.arch`, `std/inception.arch`, ...")
        return None

    def imports(self, module: ast.Module, chain: list[Path]) -> None:
        for imp in module.imports:
            path = self.resolve(imp, module.source)
            if path is None:
                continue
            if path in chain:
                names = " → ".join(p.name for p in chain[chain.index(path):]) + f" → {path.name}"
                self.diags.error("E0106", f"import cycle: {names}", imp.path_span,
                                 label="imported again here", help="remove one of the imports")
                continue
            if path in self.loaded:
                continue
            src = read_source(path)
            if isinstance(src, Diagnostic):
                self.diags.add(src)
                self.loaded[path] = None
                continue
            if not self.within_bytes(src, imp):
                self.loaded[path] = None
                continue
            sub = parse(src)
            if isinstance(sub, Diagnostic):
                self.diags.add(sub.with_note(f"imported from {imp.path_span.location()}"))
                self.loaded[path] = None
                continue
            self.loaded[path] = sub
            for p in sub.params:
                self.diags.error("E0112", f"parameter `{p.name}` is declared in an imported file",
                                 p.span, label="in an import",
                                 notes=(f"imported from {imp.path_span.location()}",),
                                 help="declare parameters in the spec you check or sweep; "
                                      "blocks take values as their own parameters")
            self.imports(sub, chain + [path])
            self.add_blocks(sub)

    def within_bytes(self, src: Source, imp: ast.ImportStmt) -> bool:
        """Count an imported file's bytes; past MAX_PROGRAM_BYTES it is not parsed (each file
        is at most MAX_FILE_BYTES, but forty of them took 2.4 GB to parse)."""
        size = len(src.text.encode("utf-8", "surrogatepass"))
        if self.bytes + size <= MAX_PROGRAM_BYTES:
            self.bytes += size
            return True
        self.diags.error("E0019", f"the spec and its imports are larger than {MAX_PROGRAM_BYTES:,} "
                         "bytes together", imp.path_span,
                         label=f"{size:,} more bytes here", notes=(
                             f"the spec and the files imported before it have {self.bytes:,} bytes",),
                         help=f"one check reads at most {MAX_PROGRAM_BYTES:,} bytes of specs; "
                              "import fewer or smaller files")
        return False


def _is_dir(path: Path) -> bool:
    """Path.is_dir, False for a name the system refuses instead of raising."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    """Path.is_file, False for a name the system refuses (too long, a NUL) instead of raising."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def load_program(source: Source, diags: Diagnostics, assign: list[str] | None = None) -> Program:
    """Parse `source` and its imports, lower every model. Diagnostics go to `diags`.
    `assign`: `NAME=VALUE` texts (`--set`); the models are lowered at that point of the
    file's search space, each other parameter at its default (none is lowered when a value
    is outside its domain: E0113). A malformed or unknown assignment raises SetError."""
    program = parse_program(source, diags)
    if program.module is None:
        return program
    assigned = program.space.assignments(assign) if assign else {}
    point = program.space.given(assigned, Lowerer(program.blocks, diags), diags)
    if point is not None:
        overrides = {n: v for n, v in assigned.items() if program.space.dimension(n) is None}
        program.point = point
        program.models, program.constants = lower_models(program, point, diags, overrides)
    if program.failed:
        # `unknown layer B` when B's file did not parse: say where B may have been.
        note = f"{', '.join(program.failed)} could not be imported, so no block of it is known"
        diags.items = [d.with_note(note) if d.code == "E0100" else d for d in diags.items]
    return program


def parse_program(source: Source, diags: Diagnostics) -> Program:
    """`source` and its imports parsed, their blocks gathered, the search space read; no
    model lowered yet (lower_models, once per point of the space)."""
    module = parse(source)
    if isinstance(module, Diagnostic):
        diags.add(module)
        return Program(source, None)
    here = Path(source.path).resolve() if Path(source.path).is_file() else None
    # Imports resolve beside the spec, also before it is first saved (an editor's new file
    # in a folder); text with no such folder (`<text>`) resolves in the working directory.
    folder = Path(source.path).parent
    loader = _Loader(here.parent if here else folder if _is_dir(folder) else Path.cwd(), diags)
    loader.bytes = len(source.text.encode("utf-8", "surrogatepass"))
    if here:
        loader.loaded[here] = module
    loader.imports(module, [here] if here else [])
    loader.add_blocks(module)
    space = space_of(module.params, Lowerer(loader.blocks, diags), diags) if module.params else Space()
    return Program(source, module, loader.blocks, trains=module.trains, space=space,
                   failed=[p.name for p, m in loader.loaded.items() if m is None])


def lower_models(program: Program, point: dict, diags: Diagnostics,
                 overrides: dict | None = None) -> tuple[list[Model], dict]:
    """Every model of a parsed program lowered at `point` of its space (constants given
    other expressions by `overrides`), and the train sections checked there: (models, the
    value of every parameter). The program itself is not changed: a sweep lowers it again
    for each point."""
    module = program.module
    constants = program.space.constants(point, Lowerer(program.blocks, diags), diags, overrides)
    lowerer = Lowerer(program.blocks, diags, constants)
    models: list[Model] = []
    seen: dict[str, ast.ModelDef] = {}
    built = 0           # nodes of the models built so far: MAX_PROGRAM_NODES bounds them together
    counted = 0
    for m in module.models:
        for model in models[counted:]:
            built += len(model.graph)
        counted = len(models)
        if m.name in seen:
            diags.error("E0104", f"model `{m.name}` is defined twice", m.name_span,
                        labels=(Label(seen[m.name].name_span, "first defined here"),),
                        help="rename one of them")
            continue
        seen[m.name] = m
        if isinstance(m.body, ast.GraphBody) or len(m.inputs) > 1:
            model = _graph_model(m, lowerer, diags, built)
            if model is not None:
                models.append(model)
            continue
        try:
            first = m.inputs[0]
            shape = lowerer.input_shape(first.shape, first.dtype, first.dtype_span)
        except Problem as p:
            diags.add(p.diagnostic)
            shape = None
        try:
            body = lowerer.model_body(m.body)
            working_on(m.name_span)      # memory runs out building a model: blame that model
            models.append(build_model(m.name, m.span, m.name_span, m.input_name, shape,
                                      m.input_shape.span, body, built))
        except TooManyNodes as err:      # over a bound: diagnosed, the model is not checked
            if err.diagnostic is not None:
                diags.add(err.diagnostic)
    if module.trains:          # the train section's schema is read only for specs that have one
        from .settings import check_train_sections
        check_train_sections(module.trains, [m.name for m in module.models], lowerer, diags,
                             outputs={m.name: [n for n, _ in m.outputs] for m in models})
    return models, constants


def _graph_model(m: ast.ModelDef, lowerer: Lowerer, diags: Diagnostics, built: int) -> Model | None:
    """A model with a graph body (or several inputs, which need one: None then); `built`:
    the nodes of the file's models before it."""
    inputs = []
    for i in m.inputs:
        try:
            shape = lowerer.input_shape(i.shape, i.dtype, i.dtype_span)
        except Problem as p:
            diags.add(p.diagnostic)
            shape = None
        inputs.append((i.name, shape, i.shape.span))
    if not isinstance(m.body, ast.GraphBody):
        diags.error("E0109", f"model `{m.name}` has {len(m.inputs)} inputs but its body is a layer",
                    m.body.span, label="which input does it take?",
                    help="write the body as a graph: `= { h = Chain(...)(x) return h }`")
        return None
    lowerer.start_model()          # its terms are bounded, as in model_body
    try:
        body = ValueLowerer(lowerer, list(m.inputs)).body(m.body)
        working_on(m.name_span)
        return build_graph_model(m.name, m.span, m.name_span, inputs, body, built)
    except TooManyNodes as err:      # over a bound: diagnosed, the model is not checked
        if err.diagnostic is not None:
            diags.add(err.diagnostic)
        return None
