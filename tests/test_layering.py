"""archlang's architecture, as a table of layers, and a test that every import follows it.

LAYERS below is the documented statement of the package's structure (README "Layout"): each
row may import its own row and the rows above it, never a row below. Imports are read with
`ast` from every module, at module level and inside functions alike (an import hidden in a
function to dodge a loop is still a loop), relative or absolute, `from . import x` resolved
to the submodule x. Imports under `if TYPE_CHECKING:` are annotations, not imports. Importing
`archlang.a.b` also runs the packages' `__init__`s; those implicit edges are not counted (the
package `archlang` itself re-exports the API and sits at the top).

A new module must be given a row here: where it sits is a decision, written down.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "archlang"

# Lowest first. A module belongs to the row naming it or its nearest enclosing package.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation: record classes, text positions, bounds, did-you-mean, diagnostics as data, "
     "symbolic sizes",
     ("archlang.records", "archlang.source", "archlang.limits", "archlang.suggest",
      "archlang.diagnostics", "archlang.symbolic")),
    ("the layer registry: one declaration per kind (args, shape rule, counts, PyTorch mapping)",
     ("archlang.layers",)),
    ("facts over the registry: the built-in names, the integer functions of expressions, "
     "what-if fixes for shape errors",
     ("archlang.vocabulary", "archlang.functions", "archlang.hints")),
    ("syntax: text → AST (the fast reader, Lark for the rest, syntax errors, fmt)",
     ("archlang.syntax",)),
    ("ir: AST → layer terms → graph; imports between specs; train sections",
     ("archlang.ir",)),
    ("the static shape check; the exact sets of valid input sizes it implies",
     ("archlang.check", "archlang.sizes")),
    ("analysis: MACs, memory, receptive fields, Toeplitz", ("archlang.analysis",)),
    ("the outputs of a checked model: PyTorch code, drawings, training",
     ("archlang.backends", "archlang.draw", "archlang.train")),
    ("presentation: diagnostics as text and JSON, check's table, notebook HTML (installed on "
     "the core's objects from here)", ("archlang.present",)),
    ("the Python API", ("archlang.api",)),
    ("what a trained model learnt (`archlang show`), through the API", ("archlang.interpret",)),
    ("from PyTorch to a spec (`archlang from-torch`): torch.fx traces, the spec's text, checked "
     "and formatted through the API", ("archlang.fromtorch",)),
    ("entry points: the package's re-exports and %load_ext, the CLI, the language server, the "
     "playground, the notebook magic",
     ("archlang", "archlang.__main__", "archlang.cli", "archlang.lsp", "archlang.serve",
      "archlang.notebook")),
]

def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (annotations only; never run)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skipped


def internal_imports(root: Path = PACKAGE) -> dict[tuple[str, str], str]:
    """(importer, imported) → 'file:line' for every import of one module of the package
    `root` by another, wherever it is written."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    top = root.name

    def owner(name: str) -> str | None:
        """The package's module that `import name` loads last: `a.b.Class` → a.b."""
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[tuple[str, str], str] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(), str(path))
        skipped = _type_checking_only(tree)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # `from . import x` imports the submodule x when there is one.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base
                           for a in node.names]
            else:
                continue
            for target in targets:
                if target.split(".")[0] != top:
                    continue
                imported = owner(target)
                if imported and imported != module:
                    edges.setdefault((module, imported),
                                     f"{path.relative_to(root.parent)}:{node.lineno}")
    return edges


def layer_of(module: str) -> int | None:
    """The row of LAYERS that holds `module` (by its nearest named package), or None."""
    best, row = -1, None
    for i, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, row = len(name), i
    return row


def cycles(edges) -> list[list[str]]:
    """One cycle, written out, for each strongly connected set of modules."""
    graph = nx.DiGraph(list(edges))
    found = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = nx.find_cycle(graph.subgraph(component))
            found.append([a for a, _ in cycle] + [cycle[0][0]])
    return found


EDGES = internal_imports()


def test_no_import_cycle_counting_imports_inside_functions():
    found = cycles(EDGES)
    described = ["\n".join(f"  {a} → {b}  ({EDGES[a, b]})" for a, b in zip(c, c[1:]))
                 for c in found]
    assert not found, "import cycles:\n" + "\n\n".join(described)


def test_every_module_has_a_layer():
    modules = {a for a, _ in EDGES} | {b for _, b in EDGES} | {
        module_name(p, PACKAGE) for p in PACKAGE.rglob("*.py")}
    assert sorted(m for m in modules if layer_of(m) is None) == []


def test_imports_point_down():
    upward = [f"{a} (row {layer_of(a)}) → {b} (row {layer_of(b)})  {where}"
              for (a, b), where in sorted(EDGES.items())
              if layer_of(b) > layer_of(a)]
    assert upward == [], "imports pointing up LAYERS:\n" + "\n".join(upward)


def test_core_objects_import_no_presentation():
    # The objects a user holds hold data; how they look is installed from above.
    core = ("archlang.check", "archlang.diagnostics", "archlang.analysis.report")
    assert sorted((a, b) for a, b in EDGES if a in core and b.startswith("archlang.present")) == []


# ---- the reader of imports, on a package made for it --------------------------------------
def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_loop_hidden_in_a_function_is_a_cycle(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "low.py": "def f():\n    from .high import g\n    return g\n",
        "high.py": "from .low import f\n",
    })
    edges = internal_imports(root)
    assert set(edges) == {("pkg.low", "pkg.high"), ("pkg.high", "pkg.low")}
    assert edges["pkg.low", "pkg.high"] == "pkg/low.py:2"
    assert cycles(edges) and set(cycles(edges)[0]) == {"pkg.low", "pkg.high"}


@pytest.mark.parametrize("statement, imported", [
    ("from . import sub", "pkg.sub"),                  # a submodule, not the package
    ("from .sub import thing", "pkg.sub"),
    ("from .sub.deep import thing", "pkg.sub.deep"),
    ("import pkg.sub.deep", "pkg.sub.deep"),
    ("from pkg.sub import deep", "pkg.sub.deep"),
    ("from pkg.sub import thing", "pkg.sub"),          # a name of a package's __init__
])
def test_every_form_of_import_is_read(tmp_path, statement, imported):
    root = _package(tmp_path, {
        "__init__.py": "", "sub/__init__.py": "", "sub/deep.py": "",
        "user.py": f"import os\n\n\nclass C:\n    def m(self):\n        {statement}\n",
    })
    assert set(internal_imports(root)) == {("pkg.user", imported)}


def test_annotation_only_imports_are_not_imports(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "", "a.py": "from .b import B\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A\n",
    })
    assert cycles(internal_imports(root)) == []


def test_importing_any_core_module_installs_the_presentation():
    # Python imports `archlang` (which imports archlang.present) before any of its modules,
    # so the views are installed for whoever holds a core object, however it was imported.
    code = ("from archlang.diagnostics import Diagnostic, SpecError\n"
            "from archlang.source import Source\n"
            "d = Diagnostic('E0100', 'unknown name `x`', Source('m.arch', 'x\\n').span(0, 1))\n"
            "print(str(d).splitlines()[0]); print(str(SpecError([d])) == str(d))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PACKAGE.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["m.arch:1:1: error[E0100]: unknown name `x`", "True"]
