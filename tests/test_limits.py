"""Every bound in archlang/limits.py: just under it is accepted, just over it is a positioned
diagnostic, and either way the answer comes with bounded work (calls counted, tests/counting.py)
and memory; how long each takes is bench/check_speed.py's."""
from __future__ import annotations

import tracemalloc

import pytest

import archlang
from archlang.diagnostics import RESERVE_BYTES
from archlang import limits
from archlang.diagnostics import SpecError
from counting import call_counts, calls, grows_linearly


def _errors(text: str):
    result = archlang.check_text(text)
    assert all(d.span is not None for d in result.diagnostics)
    return result.errors


def _codes(text: str) -> list[str]:
    return [d.code for d in _errors(text)]


def test_file_size():
    body = "model m(x: 4) = Dense(4, 2)\n"
    pad = "#" * (limits.MAX_FILE_BYTES - len(body) - 1) + "\n"
    assert _codes(body + pad) == []
    (err,) = _errors(body + pad + "#")
    assert err.code == "E0019" and err.span.start == limits.MAX_FILE_BYTES
    # Bytes, not characters: `×` is two bytes in UTF-8.
    assert _codes(body + "#" + "×" * (limits.MAX_FILE_BYTES // 2)) == ["E0019"]


def test_a_large_file_is_read_only_up_to_the_limit(tmp_path):
    path = tmp_path / "big.arch"
    with open(path, "w", encoding="utf-8") as f:
        f.write("model m(x: 4) = Dense(4, 2)\n")
        f.write(("#" * 1023 + "\n") * 20 * 1024)            # 20 MiB of comments
    tracemalloc.start()
    try:
        (err,) = archlang.check(path).errors
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.code == "E0019" and err.span.line == 1025
    # The check holds a reserve for running out of memory (diagnostics.memory_reserve); beyond
    # it, a few times the bounded read, not 20 MiB.
    assert peak < 4 * limits.MAX_FILE_BYTES + RESERVE_BYTES, f"{peak:,} bytes allocated"


def test_nesting():
    ok = "model m(x: 4) = " + "Chain(" * 99 + "relu" + ")" * 99
    assert _codes(ok) == []
    (err,) = _errors("model m(x: 4) = " + "Chain(" * 101 + "relu" + ")" * 101)
    assert (err.code, err.message) == ("E0009", "brackets nested more than 100 levels deep")


def test_name_length():
    n = limits.MAX_NAME_LENGTH
    assert _codes(f"model m(x: 4) = {'a' * n}") == ["E0100"]           # too long only by one more
    (err,) = _errors(f"model m(x: 4) = {'a' * (n + 1)}")
    assert (err.code, err.message) == ("E0018", f"a name of {n + 1} characters")
    # Every kind of name: a call, a keyword, a block, a model.
    for text in (f"model m(x: 4) = {'D' * (n + 1)}(4, 2)", f"model m(x: 4) = Dense(4, 2, {'b' * (n + 1)}=true)",
                 f"block {'B' * (n + 1)}(c) = relu", f"model {'m' * (n + 1)}(x: 4) = relu"):
        assert _codes(text) == ["E0018"], text


def test_did_you_mean_on_a_long_name_is_quick():
    from archlang.suggest import suggest
    assert suggest("x" * 20_000, ["Dense", "Conv"] * 100) == []
    assert suggest("Dens" + "e" * 250, ["Dense"]) == []
    # No distance is computed for a name far longer than every candidate.
    assert calls(lambda: suggest("x" * 20_000, ["Dense", "Conv"] * 100)) < 50


def test_number_digits():
    n = limits.MAX_NUMBER_DIGITS
    (err,) = _errors(f"model m(x: 4) = Dense(4, {'1' * n})")
    assert (err.code, err.message) == ("E0203", "number too large")
    (err,) = _errors(f"model m(x: 4) = Dense(4, {'1' * (n + 1)})")
    assert (err.code, err.message) == ("E0203", f"a number of {n + 1} digits")
    assert _codes(f"model m(x: 4) = Dropout(0.{'1' * (n + 1)})") == ["E0203"]
    assert _codes(f"model m(x: {'1' * (n + 1)}x4) = relu") == ["E0203"]
    # A numbered line's label too (5,000 digits made int() raise: an internal error).
    assert _codes(f"model m(x: 4) = Chain({'1' * 5000}: relu)") == ["E0203"]


def test_string_length():
    n = limits.MAX_STRING_LENGTH
    assert _codes(f'model m(x: 8×8×1) = Conv((3, 3), 1 => 1, init="{"a" * n}")') == ["E0103"]
    (err,) = _errors(f'model m(x: 8×8×1) = Conv((3, 3), 1 => 1, init="{"a" * (n + 1)}")')
    assert (err.code, err.message) == ("E0017", f"a string of {n + 1:,} characters")


def _nested_blocks(levels: int) -> str:
    defs = "".join(f"block B{i}(c) = B{i - 1}(c)\n" for i in range(1, levels))
    return f"block B0(c) = Dense(c, c)\n{defs}model m(x: 4) = B{levels - 1}(4)\n"


def test_block_depth():
    n = limits.MAX_BLOCK_DEPTH
    assert _codes(_nested_blocks(n)) == []
    (err,) = _errors(_nested_blocks(n + 1))
    assert (err.code, err.message) == ("E0110", f"blocks call blocks more than {n} levels deep")
    assert err.span.line == 2            # the call of B0 inside B1


def test_node_count(monkeypatch):
    import archlang.ir.graph as graph
    monkeypatch.setattr(graph, "MAX_NODES", 64)
    doubling = "".join(f"block B{i}(c) = Chain(B{i - 1}(c), B{i - 1}(c))\n" for i in range(1, 7))
    assert _codes(f"block B0(c) = Dense(c, c)\n{doubling}model m(x: 4) = B5(4)") == []  # 32 + input
    (err,) = _errors(f"block B0(c) = Dense(c, c)\n{doubling}model m(x: 4) = B6(4)")  # 64 + input
    assert (err.code, err.message) == ("E0205", "the model expands to more than 64 layers")


def test_node_count_of_exponential_blocks_in_bounded_time():
    # Each block calls the one below twice: 2^40 layers. Each distinct call is evaluated once,
    # and the call is refused before any of it is built.
    def doubling(levels):
        defs = "".join(f"block B{i}(c) = Chain(B{i - 1}(c), B{i - 1}(c))\n" for i in range(1, levels + 1))
        return f"block B0(c) = relu\n{defs}model m(x: 4) = B{levels}(4)"
    (err,) = _errors(doubling(40))
    assert (err.code, err.span.text) == ("E0205", "B40(4)")
    # Work grows with the levels written, not with the 2^levels layers they stand for.
    counts = call_counts(lambda n: archlang.check_text(doubling(n)), [20, 40, 80])
    assert grows_linearly(counts), counts


def test_node_count_of_blocks_with_fresh_layer_arguments(monkeypatch):
    # A layer passed down as a fresh Chain at every level defeats the reuse of block bodies:
    # the lowering's own count stops it.
    def fresh(levels):
        defs = "".join(f"block B{i}(f) = Chain(B{i - 1}(Chain(f)), B{i - 1}(Chain(f)))\n"
                       for i in range(1, levels + 1))
        return f"block B0(f) = f\n{defs}model m(x: 4) = B{levels}(relu)"
    (err,) = _errors(fresh(40))
    assert err.code == "E0205"
    # Under a smaller bound, twice the levels (2^20 times the layers) cost no more work: the
    # count stops at the bound.
    import archlang.ir.graph as graph
    import archlang.ir.lower as lower
    monkeypatch.setattr(lower, "MAX_NODES", 2_000, raising=False)
    monkeypatch.setattr(graph, "MAX_NODES", 2_000, raising=False)
    small, large = call_counts(lambda n: archlang.check_text(fresh(n)), [20, 40])
    assert large < 1.5 * small, (small, large)


def test_diagnostics_are_capped_and_counted():
    n = limits.MAX_DIAGNOSTICS
    result = archlang.check_text("model m(x: 4) = Chain(" + ", ".join(["foo"] * (n + 50)) + ")")
    assert len(result.diagnostics) == n + 1
    note = result.diagnostics[-1]
    assert (note.code, note.severity) == ("N0001", "note")
    assert note.message == f"and 50 more errors (the first {n} are shown)"
    assert note.span.start == result.diagnostics[n - 1].span.end + 2      # the next `foo`


def test_shape_errors_past_the_cap_are_counted_not_built():
    n = limits.MAX_DIAGNOSTICS
    result = archlang.check_text("model m(x: 9) = Chain(" + "Dense(5, 9), " * (n + 800) + "relu)")
    assert len(result.diagnostics) == n + 1
    assert [d.code for d in result.diagnostics[:n]] == ["E0301"] * n
    note = result.diagnostics[-1]
    assert note.message == f"and 800 more errors (the first {n} are shown)"
    assert note.span.start == result.diagnostics[n - 1].span.start + len("Dense(5, 9), ")


def test_counted_errors_are_deduplicated_as_shown_ones():
    # A block with a mistake, called more times than the cap: one mistake, said once.
    calls = ", ".join(["B(1)"] * (limits.MAX_DIAGNOSTICS + 100))
    result = archlang.check_text(f"block B(c) = Dense(5, 9)\nmodel m(x: 9) = Chain({calls})")
    assert [d.code for d in result.diagnostics] == ["E0301"]


def test_check_can_let_the_syntax_tree_go():
    text = "model m(x: 28×28×1) = Chain(Conv((5, 5), 1 => 6, relu), flatten, Dense(_ => 10))"
    kept, dropped = archlang.check(text), archlang.check(text, keep_syntax=False)
    assert kept.program.module is not None and dropped.program.module is None
    assert dropped.model().params == kept.model().params == 156 + 6 * 24 * 24 * 10 + 10


def test_many_errors_with_linear_work():
    def wrong(n):
        return archlang.check_text("model m(x: 4) = Chain(" + ", ".join(["Dense(3, 0)"] * n) + ")")
    result = wrong(5000)
    assert len(result.diagnostics) == limits.MAX_DIAGNOSTICS + 1
    assert "4,800 more errors" in result.diagnostics[-1].message
    counts = call_counts(wrong, [1_000, 2_000, 4_000])
    assert grows_linearly(counts), counts


def test_load_refuses_a_model_too_large_to_allocate():
    spec = "model big(x: 65536) = Dense(65536, 65536)"       # 4.3 billion parameters
    assert archlang.check(spec).ok
    torch = pytest.importorskip("torch")

    def allocating(*args, **kwargs):
        raise AssertionError("a layer was built before the model was refused")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.nn.Linear, "__init__", allocating)
        with pytest.raises(SpecError) as info:
            archlang.load(spec)
    (err,) = info.value.diagnostics
    assert err.code == "E0206" and err.span.text == "big"
    assert err.message == ("model `big` has 4,295,032,832 parameters and buffers, more than the "
                           f"{limits.MAX_LOAD_ELEMENTS:,} archlang instantiates")
    # Compiling to source allocates nothing: still allowed.
    assert "class Big(nn.Module):" in archlang.compile(spec).splitlines()


def test_compile_to_a_binary_format_refuses_it_too(tmp_spec, tmp_path, capsys):
    from archlang.cli import main
    path = tmp_spec("model big(x: 65536) = Dense(65536, 65536)\n")
    assert main(["compile", str(path), "--to", "torchscript", "-o", str(tmp_path / "big.pt"),
                 "--color", "never"]) == 1
    assert f"{path}:1:7: error[E0206]: model `big` has 4,295,032,832 parameters" in capsys.readouterr().err
    assert not (tmp_path / "big.pt").exists()


# ---- bounds per file and per request --------------------------------------------------------
def _doubling(levels: int) -> str:
    """Blocks that call the block below twice: B{levels} is 2^levels relus."""
    return "block B0(c) = relu\n" + "".join(
        f"block B{i}(c) = Chain(B{i - 1}(c), B{i - 1}(c))\n" for i in range(1, levels + 1))


def test_the_models_of_a_file_are_bounded_together(monkeypatch):
    import archlang.ir.graph as graph
    import archlang.ir.lower as lower
    monkeypatch.setattr(graph, "MAX_PROGRAM_NODES", 100)
    monkeypatch.setattr(lower, "MAX_PROGRAM_NODES", 100)
    models = "".join(f"model m{i}(x: 4) = B5(4)\n" for i in range(4))       # 32 + input each
    result = archlang.check_text(_doubling(5) + models)
    assert [m.name for m in result.models] == ["m0", "m1", "m2"]             # 99 nodes
    (err,) = result.errors                                                   # m3: once
    assert (err.code, err.span.text, err.span.line) == ("E0205", "m3", 10)
    assert err.message == "the models of this file expand to more than 100 layers together"
    assert err.label == "32 more layers here"
    assert err.notes == ("the models before it use 99 of them",)


def test_the_terms_of_a_file_are_bounded_together(monkeypatch):
    # Fresh layer arguments defeat the reuse of block bodies, and the bodies stay cached for
    # the file: sixteen such models took 950 MB before the file's count stopped them.
    import archlang.ir.graph as graph
    import archlang.ir.lower as lower
    monkeypatch.setattr(graph, "MAX_PROGRAM_NODES", 400)
    monkeypatch.setattr(lower, "MAX_PROGRAM_NODES", 400)
    defs = "".join(f"block F{i}(f) = Chain(F{i - 1}(Chain(f)), F{i - 1}(Chain(f)))\n"
                   for i in range(1, 6))
    models = "".join(f"model m{i}(x: 4) = F5({f})\n"                   # 188 terms each
                     for i, f in enumerate(["relu", "tanh", "sigmoid", "gelu"]))
    result = archlang.check_text("block F0(f) = f\n" + defs + models)
    assert [m.name for m in result.models] == ["m0", "m1"]
    assert {(e.code, e.message) for e in result.errors} == {
        ("E0205", "the models of this file expand to more than 400 layers together")}


def test_the_imports_of_a_file_are_bounded_together(tmp_path, monkeypatch):
    import archlang.ir.program as program
    monkeypatch.setattr(program, "MAX_PROGRAM_BYTES", 1000)
    for i in range(3):
        (tmp_path / f"lib{i}.arch").write_text(f"block L{i}(c) = Dense(c, c)\n" + "#" * 400 + "\n")
    root = tmp_path / "root.arch"
    root.write_text("".join(f'import "lib{i}.arch"\n' for i in range(3)) + "model m(x: 4) = L0(4)\n")
    (err,) = archlang.check(root).errors                     # 79 + 427 + 427 bytes, then lib2
    assert (err.code, err.span.text, err.span.line) == ("E0019", '"lib2.arch"', 3)
    assert err.message == "the spec and its imports are larger than 1,000 bytes together"
    assert err.label == "427 more bytes here"
    assert err.notes == ("the spec and the files imported before it have 933 bytes",)


_CAPPED = """
import resource, sys
import archlang
limit = int(sys.argv[1]) << 20
if sys.argv[2] == "above":        # a cap relative to what this interpreter already uses
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    limit += vm << 10
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
result = archlang.check(sys.stdin.read())
for d in result.diagnostics:
    print(d.code, d.span.text if d.span else None, d.span.line if d.span else None, *d.notes, sep="|")
print("models", len(result.models))
"""


def _run_capped(spec: str, mib: int, relative: bool) -> tuple[int, list[str]]:
    import subprocess
    import sys
    from pathlib import Path
    root = Path(archlang.__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", _CAPPED, str(mib), "above" if relative else "total"],
                          input=spec, capture_output=True, text=True, cwd=root, timeout=300,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    return proc.returncode, proc.stdout.splitlines() + proc.stderr.splitlines()[-3:]


@pytest.mark.slow
@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/status"), reason="Linux only")
def test_sixteen_models_of_131072_layers_under_2_gib():
    # A kilobyte spec that made Python abort under a 2 GiB cap ("Cannot recover from
    # MemoryErrors", exit 134): now three models are checked, the rest refused by the file's
    # bound, each at its name.
    spec = _doubling(17) + "".join(f"model m{i}(x: 4) = B17(4)\n" for i in range(16))
    assert len(spec.encode()) < 1100
    rc, out = _run_capped(spec, 2048, relative=False)
    assert rc == 0, out
    assert out[-1] == "models 3"
    assert out[:-1] == [f"E0205|m{i}|{19 + i}|the models before it use 393,219 of them"
                        for i in range(3, 16)]


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/status"), reason="Linux only")
def test_running_out_of_memory_is_e0206_at_the_model_never_an_abort():
    # A model within every bound, under caps too small for it: wherever memory runs out
    # (building its 32,769 nodes, checking them), the answer is E0206 naming the model.
    spec = _doubling(15) + "model small(x: 4) = Dense(4, 2)\nmodel big(x: 4) = B15(4)\n"
    answers = []
    for mib in (1, 20, 50, 200):          # above what the interpreter already uses
        rc, out = _run_capped(spec, mib, relative=True)
        assert rc == 0, (mib, out)
        answers.append(out[0])
        assert out in (["E0206|big|18", "models 0"], ["models 2"]) or \
            out[0].startswith("E0206|") and out[0].endswith("|while checking model `big` (32,769 "
                                                            "layers)") and out[1] == "models 0"
    assert answers[0] == "E0206|big|18" and answers[-1] == "models 2"
