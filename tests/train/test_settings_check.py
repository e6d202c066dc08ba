"""`archlang check` checks a spec's `train` section with positions."""

import sys

from archlang import check
from archlang.cli import main
from conftest import SPECS

FIX = SPECS.parent / "tests" / "fixtures" / "train"


def test_train_section_mistakes_are_positioned_diagnostics():
    result = check(FIX / "bad_train_section.arch")
    found = [(d.code, d.span.line, d.span.column, d.message, d.help) for d in result.diagnostics]
    assert found == [
        ("E0101", 4, 5, "unknown train setting `optimiser`", "did you mean `optimizer`?"),
        ("E0103", 5, 14, "`epochs` must be an integer ≥ 1, got 'ten'", None),
        ("E0103", 6, 13, "`batch` must be an integer ≥ 1, got 0", None),
        ("E0103", 7, 12, "unknown loss `crossentrop`",
         "use one of crossentropy, mse, localization, next_token (did you mean `crossentropy`?)"),
        ("E0100", 11, 7, "`train n` names no model of this file", "models here: m"),
    ]


def test_check_exits_1_on_a_bad_train_section_and_stays_torch_free(capsys):
    assert main(["check", str(FIX / "bad_train_section.arch"), "--color", "never"]) == 1
    err = capsys.readouterr().err
    assert "bad_train_section.arch:4:5: error[E0101]: unknown train setting `optimiser`" in err
    # a good section, loss expressions included, passes
    two_heads = "model m(x: 8) = {\n  out = Dense(8, 2)(x)\n  aux1 = Dense(8, 2)(x)\n  return out, aux1\n}\n"
    assert check(two_heads + "train m {\n  loss = crossentropy(out) + "
                 "0.3 * crossentropy(aux1)\n  schedule = step(every = 2)\n  patience = 3\n}").ok
    assert main(["check", str(SPECS / "book/model2.arch")]) == 0


def test_the_settings_module_imports_no_torch():
    import subprocess
    code = ("import sys; from archlang import check; check('model m(x: 8) = Dense(8, 2)\\n"
            "train m { epochs = 2 }'); import archlang.train; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
