"""Layer kinds of the user's own (`--plugin`, `plugins=`): examples/plugins/squeeze_excite.py
checks, draws, compiles and trains; a broken plugin is a diagnostic, never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import archlang
from archlang.cli import main
from archlang.layers import REGISTRY, PluginError, kinds
from conftest import ROOT

PLUGINS = ROOT / "examples" / "plugins"
PLUGIN = str(PLUGINS / "squeeze_excite.py")
SPEC = str(PLUGINS / "se_net.arch")

SE_BLOCK = """block SqueezeExcite(c, r) = SkipConnection(Chain(
        GlobalMeanPool(),
        Conv((1, 1), c => r, relu),
        Conv((1, 1), r => c, hardsigmoid)),
    *)
"""


def _row(report, text):
    return next(i for i in report.infos if str(i.layer) == text)


# ---- check ------------------------------------------------------------------------------------
def test_the_example_checks_with_hand_computed_counts():
    report = archlang.check(SPEC, plugins=[PLUGIN]).model()
    se1, se2 = _row(report, "SqueezeExcite(8, 2)"), _row(report, "SqueezeExcite(16, 4)")
    assert tuple(se1.out) == (24, 24, 8) and tuple(se2.out) == (10, 10, 16)
    # two 1×1 convolutions with biases: c·r + r + r·c + c
    assert se1.params == 2 * 8 * 2 + 2 + 8 == 42
    assert se2.params == 2 * 16 * 4 + 4 + 16 == 148
    # conv 5×5: 24·24·8·25 = 115,200 MACs; conv 3×3: 10·10·16·72 = 115,200; dense 160
    assert report.params == 208 + 42 + 1168 + 148 + 170 == 1736
    analysis = archlang.analyze(SPEC, plugins=[PLUGIN])
    assert analysis.totals.macs == 115_200 + 2 * 8 * 2 + 115_200 + 2 * 16 * 4 + 160


def test_the_plugin_kind_counts_as_the_block_it_replaces():
    text = "model m(x: 12×12×16) = Chain({}(16, 4), flatten, Dense(_ => 3))"
    block = archlang.analyze(SE_BLOCK + text.format("SqueezeExcite"))
    plugin = archlang.analyze(text.format("SE"), plugins=[PLUGIN])
    assert (plugin.totals.params, plugin.totals.macs, plugin.totals.element_ops) == \
        (block.totals.params, block.totals.macs, block.totals.element_ops)


def test_a_shape_rule_of_the_plugin_is_positioned():
    result = archlang.check("model m(x: 8×8×3) = Chain(SqueezeExcite(4, 2))", plugins=[PLUGIN])
    [error] = result.errors
    assert error.code == "E0300" and error.span.text == "4"


def test_plugin_kinds_are_known_to_that_call_only():
    assert archlang.check(SPEC, plugins=[PLUGIN]).ok
    assert "SqueezeExcite" not in REGISTRY and "SE" not in REGISTRY
    later = archlang.check(SPEC)
    assert [e.code for e in later.errors] == ["E0100", "E0100"]
    assert all(k.kind != "SqueezeExcite" for k in kinds())      # the generator's coverage


def test_a_block_may_not_take_a_plugin_kind_name_while_it_is_loaded():
    text = SE_BLOCK + "model m(x: 8×8×16) = SqueezeExcite(16, 4)"
    assert archlang.check(text).ok
    assert [e.code for e in archlang.check(text, plugins=[PLUGIN]).errors] == ["E0107"]


def test_a_module_name_loads_too(tmp_path, monkeypatch):
    package = tmp_path / "mylayers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "gates.py").write_text((PLUGINS / "squeeze_excite.py").read_text())
    monkeypatch.syspath_prepend(str(tmp_path))
    assert archlang.check(SPEC, plugins=["mylayers.gates"]).model().params == 1736


# ---- draw, and no torch -----------------------------------------------------------------------
def test_draw_shows_the_plugin_layer():
    graph = archlang.draw(SPEC, plugins=[PLUGIN])
    assert "SqueezeExcite(8, 2)" in graph.source and "SqueezeExcite(16, 4)" in graph.source


def test_check_and_draw_with_a_plugin_never_import_torch(tmp_path):
    code = ("import sys; from archlang.cli import main; "
            f"assert main(['check', {SPEC!r}, '--plugin', {PLUGIN!r}]) == 0; "
            f"assert main(['draw', {SPEC!r}, '--plugin', {PLUGIN!r}, '-o', {str(tmp_path / 'a.dot')!r}]) == 0; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)
    assert "SqueezeExcite(8, 2)" in (tmp_path / "a.dot").read_text()


# ---- compile, load, train ---------------------------------------------------------------------
def test_compiled_module_imports_the_plugin_and_counts_agree():
    torch = pytest.importorskip("torch")
    source = archlang.compile(SPEC, plugins=[PLUGIN])
    assert "import squeeze_excite_torch" in source
    assert "self.se1 = squeeze_excite_torch.SqueezeExcite(8, 2)" in source
    module = archlang.load(SPEC, plugins=[PLUGIN])
    assert sum(p.numel() for p in module.parameters()) == 1736
    assert sum(p.numel() for p in module.se2.parameters()) == 148
    assert module(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_compile_output_runs_standalone_with_the_plugin_on_the_path(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "model.py"
    assert main(["compile", SPEC, "--plugin", PLUGIN, "-o", str(out)]) == 0
    code = ("import torch, model; m = model.SeNet(); "
            "print(sum(p.numel() for p in m.parameters()), tuple(m(torch.zeros(1, 1, 28, 28)).shape))")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(PLUGINS)})
    assert run.stdout.split() == ["1736", "(1,", "10)"], run.stderr


def test_train_one_epoch_through_the_cli_and_evaluate(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "run"
    assert main(["train", SPEC, "--plugin", PLUGIN, "--data", "digits(28)", "--epochs", "1",
                 "--train-size", "64", "--batch", "32", "--out", str(out), "--no-progress"]) == 0
    assert "import squeeze_excite_torch" in (out / "model.py").read_text()
    assert main(["evaluate", str(out), "--plugin", PLUGIN, "-o", str(tmp_path / "c.png")]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_fit_takes_plugins(tmp_path):
    pytest.importorskip("torch")
    import numpy as np
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(48, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 48)
    result = archlang.fit(SPEC, plugins=[PLUGIN], data=(x, y), epochs=1, batch=16,
                          out=str(tmp_path / "fit"), progress=False)
    assert sum(p.numel() for p in result.model.parameters()) == 1736
    assert len(result.history) == 1


# ---- broken plugins ---------------------------------------------------------------------------
def _plugin(tmp_path, name, body):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


@pytest.mark.parametrize("name, body, message", [
    ("missing_one", None, "no such plugin file"),
    ("fails_to_import", "import no_such_module_anywhere\n", "failed to import: ModuleNotFoundError"),
    ("syntax_wrong", "def (:\n", "failed to import: SyntaxError"),
    ("declares_nothing", "x = 1\n", "declares no layer kind"),
    ("clashes", """
        from archlang.layers import Layer, declare
        @declare
        class Conv(Layer):
            kind = "Conv"
            torch_module = "somewhere.Conv"
        """, "declares `Conv`, the name of the layer `Conv`"),
    ("clashes_construct", """
        from archlang.layers import Layer, declare
        @declare
        class Chain(Layer):
            kind = "Chain"
            torch_module = "somewhere.Chain"
        """, "declares `Chain`, the name of the built-in `Chain`"),
    ("clashes_activation", """
        from archlang.layers import Layer, declare
        @declare
        class Silu(Layer):
            kind = "SiLU"
            torch_module = "torch.nn.SiLU"
        """, "declares `SiLU`, the name of the activation `swish`"),
    ("bad_torch_module", """
        from archlang.layers import Layer, declare
        @declare
        class Odd(Layer):
            kind = "Odd"
            torch_module = "nn.Odd"
        """, "torch_module must be a dotted name `module.Class`"),
])
def test_a_plugin_that_cannot_be_loaded_exits_2(tmp_path, capsys, name, body, message):
    path = _plugin(tmp_path, name, body) if body else str(tmp_path / f"{name}.py")
    assert main(["check", SPEC, "--plugin", path]) == 2
    err = capsys.readouterr().err
    assert "error[E0111]" in err and message in err and "Traceback" not in err
    with pytest.raises(PluginError, match=message):
        archlang.check(SPEC, plugins=[path])


def test_an_unknown_module_name_exits_2(capsys):
    assert main(["check", SPEC, "--plugin", "no_such.plugin_module"]) == 2
    assert "no plugin module named no_such.plugin_module" in capsys.readouterr().err


BROKEN = """
    from archlang.layers import Layer, Param, args, declare
    @declare
    class Broken(Layer):
        k: int
        kind = "Broken"
        schema = (Param("k", args.size),)
        torch_module = "broken_torch.Broken"
        def infer(self, inputs):
            return inputs[0]
        def params(self):
            return {params}
    """


@pytest.mark.parametrize("params, message", [
    ("1 // (self.k - 1)", "ZeroDivisionError: integer division or modulo by zero"),
    ("-1 if self.k == 1 else 0", "TypeError: params returned -1, not a whole number ≥ 0"),
    ("2.5 if self.k == 1 else 0", "TypeError: params returned 2.5, not a whole number ≥ 0"),
])
def test_a_kind_whose_rule_fails_is_e0311_at_its_use(tmp_path, capsys, params, message):
    path = _plugin(tmp_path, f"broken_{tmp_path.name}", BROKEN.format(params=params))
    spec = tmp_path / "b.arch"
    spec.write_text("model m(x: 8×8×3) = Chain(Broken(2), Broken(1), flatten, Dense(_ => 2))\n")
    # Broken(2) checks; Broken(1) fails (and what follows it is not checked again)
    assert main(["check", str(spec), "--plugin", path]) == 1
    err = capsys.readouterr().err
    assert "error[E0311]" in err and message in err and "Traceback" not in err
    [error] = archlang.check(spec, plugins=[path]).errors
    assert error.span.text == "Broken(1)"


def test_the_declaration_in_language_md_loads_and_checks(tmp_path):
    import re
    doc = (ROOT / "docs" / "language.md").read_text()
    section = doc[doc.index("## Custom layers"):doc.index("## Training section")]
    [code] = [b for b in re.findall(r"```python\n(.*?)```", section, flags=re.S) if "@declare" in b]
    path = _plugin(tmp_path, f"doc_{tmp_path.name}", code)
    report = archlang.check("model m(x: 6×6×8) = Chain(SE(8, 2), SqueezeExcite(8, 4))",
                            plugins=[path]).model()
    assert report.params == (32 + 2 + 8) + (64 + 4 + 8)
    assert [e.code for e in archlang.check("model m(x: 6×6×8) = SE(4, 2)", plugins=[path]).errors] \
        == ["E0300"]


def test_another_thread_does_not_see_a_calls_plugins():
    import threading
    from archlang.api import using_plugins
    seen = []
    with using_plugins([PLUGIN]):
        assert archlang.check(SPEC).ok                      # an API call inside keeps them
        thread = threading.Thread(target=lambda: seen.append(archlang.check(SPEC).ok))
        thread.start()
        thread.join()
    assert seen == [False]


def test_a_failing_from_bound_is_e0311_at_the_call(tmp_path):
    path = _plugin(tmp_path, f"bound_{tmp_path.name}", """
        from archlang.layers import Layer, Param, args, declare
        @declare
        class Picky(Layer):
            k: int
            kind = "Picky"
            schema = (Param("k", args.size),)
            torch_module = "picky_torch.Picky"
            @classmethod
            def from_bound(cls, bound, spans, alias):
                return cls(k=bound["k"] // (bound["k"] - 3))
            def infer(self, inputs):
                return inputs[0]
        """)
    result = archlang.check("model m(x: 4) = Chain(Picky(2), Picky(3))", plugins=[path])
    [error] = result.errors
    assert error.code == "E0311" and error.span.text == "Picky(3)"
    assert "ZeroDivisionError" in error.message


def test_the_resume_command_after_ctrl_c_names_the_plugin(capsys, tmp_path):
    import argparse
    from archlang.cli.train import _interrupted
    stop = KeyboardInterrupt()
    stop.out, stop.epochs_done = tmp_path / "run", 1
    _interrupted(argparse.Namespace(file=SPEC, epochs=3, plugin=[PLUGIN]), "se_net", stop)
    assert f"--plugin {PLUGIN}" in capsys.readouterr().err


def test_export_takes_plugins(tmp_path):
    torch = pytest.importorskip("torch")
    path = archlang.export(SPEC, tmp_path / "se.pt", to="torchscript", plugins=[PLUGIN])
    scripted = torch.jit.load(str(path))
    assert scripted(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
