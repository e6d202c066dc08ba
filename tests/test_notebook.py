"""`%load_ext archlang` and the `%%arch` cell magic, in a real IPython shell."""
from __future__ import annotations

import pytest

IPython = pytest.importorskip("IPython")

MODEL2 = """\
model model2(x: 28×28×1) = Chain(
    Conv((5, 5), 1 => 8, relu), MaxPool((2, 2)),
    Conv((3, 3), 8 => 16, relu), MaxPool((2, 2)),
    flatten, Dense(400, 10))
"""


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell
    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "archlang")
    yield sh
    InteractiveShell.clear_instance()


def test_a_cell_that_checks_shows_its_table_and_drawing(shell):
    out = shell.run_cell_magic("arch", "--as result", MODEL2)
    page = out._repr_html_()
    assert "model2(x: 28×28×1) → 10" in page
    assert "5,386" in page                          # the book's count for model2
    assert "<details open>" in page or "<svg" not in page
    assert shell.user_ns["result"].ok and shell.user_ns["result"].model().params == 5386
    assert repr(out) == "model2: 28×28×1 → 10, 5,386 params"


def test_a_wrong_cell_shows_the_diagnostics(shell):
    out = shell.run_cell_magic("arch", "", MODEL2.replace("MaxPool((2, 2)),\n    flatten",
                                                          "flatten"))
    page = out._repr_html_()
    assert "error[E0301]: Dense expects 400 inputs but receives 1,600" in page  # 28 → 24 → 12 → 10: 10×10×16
    assert "&lt;cell&gt;:3:49:" in page and "<table>" not in page


def test_a_bad_option_is_reported(shell):
    with pytest.raises(ValueError, match="unknown option '--nope'"):
        shell.run_cell_magic("arch", "--nope", MODEL2)
