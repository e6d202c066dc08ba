"""`archlang check` imports only what checking needs: an explicit allow-list.

Each import is paid at every start (docs/performance.md): networkx alone took longer than
checking ResNet-152. A module that must join the list needs a measurement that it pays for
itself. Run in a fresh interpreter; modules already loaded when it starts (by `site`) do not
count.
"""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import SPECS

# Third-party packages: lark, and what lark imports by itself when it is installed.
THIRD_PARTY = {"lark", "regex", "interegular", "atomicwrites"}

# archlang's own modules: whole subpackages, and single modules.
ARCHLANG_PACKAGES = ("archlang.analysis", "archlang.ir", "archlang.layers", "archlang.syntax")
ARCHLANG_MODULES = {
    "archlang", "archlang.api", "archlang.check", "archlang.diagnostics", "archlang.hints",
    "archlang.functions", "archlang.limits", "archlang.records", "archlang.source", "archlang.suggest",
    "archlang.vocabulary",
    # named input sizes (`x: H×W×3`): the formulas and the exact sets of valid sizes
    "archlang.symbolic", "archlang.sizes",
    # presentation: the terminal's text and table (not the notebook's HTML)
    "archlang.present", "archlang.present.render", "archlang.present.table",
    # the CLI registers every subcommand; their modules import their work lazily
    "archlang.cli", "archlang.cli.check", "archlang.cli.compile", "archlang.cli.draw",
    "archlang.cli.evaluate", "archlang.cli.fmt", "archlang.cli.lsp", "archlang.cli.predict",
    "archlang.cli.serve", "archlang.cli.show", "archlang.cli.train",
}

# Never on the check path, though installed: drawing, code generation, training, and the
# heavy libraries behind them.
FORBIDDEN = {"torch", "numpy", "networkx", "graphviz", "matplotlib", "sklearn", "tqdm",
             "archlang.draw", "archlang.backends", "archlang.train", "archlang.notebook",
             "archlang.lsp", "archlang.serve", "archlang.interpret", "archlang.present.html",
             # a spec without a train section loads none of the train section's schema
             "archlang.ir.settings", "archlang.ir.trainconfig", "archlang.ir.loss",
             "archlang.ir.augment", "optuna"}

# Parts of the standard library that checking has no use for. `dataclasses` (with `inspect`,
# `ast` and `dis`) is replaced on the check path by archlang/records.py, which declares the
# same classes without compiling their methods at import.
FORBIDDEN_STDLIB = {"ast", "asyncio", "concurrent", "ctypes", "dataclasses", "difflib", "email", "html",
                    "http", "inspect", "multiprocessing", "shlex", "sqlite3", "unittest", "xml"}


def imported_by(args: list[str]) -> list[str]:
    """The modules a fresh interpreter loads to run `archlang ARGS`."""
    code = ("import sys; before = set(sys.modules)\n"
            "import contextlib, io, json\n"
            "from archlang.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): rc = main(sys.argv[1:])\n"
            "new = sorted(set(sys.modules) - before - {'contextlib', 'io', 'json'})\n"
            "print(json.dumps({'rc': rc, 'new': new}))")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["rc"] == 0
    return report["new"]


def forbidden_in(modules) -> set[str]:
    """The names of FORBIDDEN that `modules` load: a name, or a package by any of its modules."""
    return {f for f in FORBIDDEN for m in modules if m == f or m.startswith(f + ".")}


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top == "archlang":
        return module in ARCHLANG_MODULES or module.startswith(
            tuple(p + "." for p in ARCHLANG_PACKAGES)) or module in ARCHLANG_PACKAGES
    if top in THIRD_PARTY:
        return True
    return top in sys.stdlib_module_names and top not in FORBIDDEN_STDLIB


def test_check_imports_only_the_allow_list():
    modules = imported_by(["check", str(SPECS / "famous/resnet152.arch")])
    assert [m for m in modules if not allowed(m)] == []
    assert forbidden_in(modules) == set()


def test_check_imports_the_layers_and_not_lark():
    # The allow-list is not vacuous: this is where the work is. A spec that parses is read by
    # the fast reader (archlang/syntax/descent.py): Lark is for syntax errors.
    modules = imported_by(["check", "--json", str(SPECS / "book/model2.arch")])
    assert {"archlang.syntax.descent", "archlang.layers.conv", "archlang.analysis"} <= set(modules)
    # --json too, which also names each layer's attribute in the compiled module: the code
    # generator's module map, made without torch.
    assert [m for m in modules if not allowed(m) and not m.startswith("archlang.backends")
            and m not in ("ast", "dataclasses", "inspect")] == []
    assert forbidden_in(modules) - {"archlang.backends"} == set()
    assert not any(m == "lark" or m.startswith("lark.") for m in modules)


def test_diff_imports_no_drawing_or_heavy_library():
    # `archlang diff` is torch-free like check; it draws (graphviz) only when asked to.
    modules = imported_by(["diff", str(SPECS / "famous/resnet18.arch"),
                           str(SPECS / "famous/resnet34.arch")])
    assert "archlang.analysis.diff" in modules and "archlang.present.diffview" in modules
    assert forbidden_in(modules) == set()


def test_a_syntax_error_imports_lark_to_describe_it(tmp_path):
    bad = tmp_path / "bad.arch"
    bad.write_text("model m(x: 3) = Chain(relu relu)\n")
    code = ("import sys, contextlib, io\nfrom archlang.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            "    rc = main(sys.argv[1:])\n"
            "print(rc, 'lark' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code, "check", str(bad)], capture_output=True, text=True)
    assert proc.stdout.split() == ["1", "True"], proc.stderr


def test_import_archlang_alone_loads_no_drawing_or_heavy_library():
    code = "import json, sys, archlang; print(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert forbidden_in(json.loads(proc.stdout)) == set()


def test_archlang_draw_stays_callable_after_the_subpackage_loads():
    code = ("import archlang, sys; assert 'archlang.draw' not in sys.modules\n"
            "svg = archlang.draw.svg; import archlang.draw.view\n"
            "assert 'archlang.draw' in sys.modules and callable(archlang.draw)\n"
            "from archlang.draw import DotMissing; assert archlang.draw.DotMissing is DotMissing\n"
            "assert archlang.draw.svg is svg")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_sweep_check_imports_neither_torch_nor_optuna():
    from conftest import FIXTURES
    modules = imported_by(["sweep", str(FIXTURES / "sweep" / "pools.arch"), "--check"])
    assert [m for m in modules if m.split(".")[0] in ("torch", "optuna") or
            m == "archlang.train" or m.startswith("archlang.train.")] == []
