"""`archlang check` on huge models: the table is folded or cut with a note, so printing costs
a bounded number of rows (a 131,072-layer model once printed 393,215 rows: 16.6 s and 570 MB,
ten times its check). Growth is asserted as rows built, never as time."""
from __future__ import annotations

import pytest

import archlang
from archlang.present import table
from archlang.cli import check as check_cli
from archlang.cli import main


def nested(levels: int) -> str:
    """2**levels Dense layers inside levels + 1 levels of blocks: 2**k rows at level k (a
    block B_levels-k call) and 2**levels Dense rows below them."""
    lines = ["block B0(c) = Dense(c, c)"]
    lines += [f"block B{k}(c) = Chain(B{k - 1}(c), B{k - 1}(c))" for k in range(1, levels + 1)]
    return "\n".join(lines + [f"model big(x: 4) = B{levels}(4)"]) + "\n"


def flat(n: int) -> str:
    return "model flat(x: 4) = Chain(" + ", ".join(["Dense(4, 4)"] * n) + ")\n"


@pytest.fixture
def built(monkeypatch):
    """Counts the table rows built."""
    count = [0]

    class Counted(table.Row):
        def __init__(self, *args, **kwargs):
            count[0] += 1
            super().__init__(*args, **kwargs)
    monkeypatch.setattr(table, "Row", Counted)
    return count


def body_lines(text: str) -> list[str]:
    """The lines between the table's two rules."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("─")]
    return lines[rules[0] + 1:rules[1]]


@pytest.mark.parametrize("levels", [10, 12])
def test_nested_blocks_are_folded_to_the_deepest_level_that_fits(built, levels):
    report = archlang.check(nested(levels)).model()
    text = table.render(report, max_rows=100)
    # Levels 0..5 of blocks: 1 + 2 + ... + 32 = 63 rows; one level more would be 127.
    assert len(body_lines(text)) == 63
    assert "note: blocks nested deeper than 6 levels are folded to keep the table within " \
           "100 rows" in text
    assert f"total params:         {2 ** levels * 20:,}" in text      # totals are whole
    # Each try builds at most 101 rows: the whole table, then depths 1 to 7, then the 63.
    assert built[0] <= 101 * 9
    # A --depth whose table fits is kept as asked: levels 0 to 2, 1 + 2 + 4 rows.
    shallow = table.render(report, max_rows=100, depth=3)
    assert len(body_lines(shallow)) == 7 and "note:" not in shallow


def test_a_long_chain_is_cut_after_max_rows(built):
    report = archlang.check(flat(3_000)).model()
    built[0] = 0
    text = table.render(report, max_rows=100)
    body = body_lines(text)
    assert len(body) == 101 and body[-1] == "…" and body[-2].startswith("100  Dense(4 => 4)")
    assert "note: the table is cut after its first 100 rows, blocks folded (the model has " \
           "3,000 layers)" in text
    assert built[0] <= 101 * 2 + 100


def test_a_table_that_fits_is_unchanged():
    report = archlang.check(nested(4)).model()          # 31 block rows + 16 Dense rows
    assert table.render(report, max_rows=47) == table.render(report)
    assert "note:" not in table.render(report, max_rows=47)
    assert "note:" in table.render(report, max_rows=46)


def test_the_cli_folds_unless_asked_for_all(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "big.arch"
    spec.write_text(nested(8))                       # 511 block rows + 256 Dense rows
    monkeypatch.setattr(check_cli, "MAX_TABLE_ROWS", 100)
    assert main(["check", str(spec)]) == 0
    out = capsys.readouterr().out
    assert len(body_lines(out)) == 63 and "`--all` prints every row" in out
    assert main(["check", str(spec), "--all"]) == 0
    assert len(body_lines(capsys.readouterr().out)) == 767
