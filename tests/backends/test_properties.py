"""Property: for random specs (chains and branches of conv, pool, dense, norm and joins; random
kernels, strides, padding incl. uneven and SamePad, dilation, groups; 1-D to 3-D), a spec that
checks compiles to a module whose parameter count, output and every submodule's shape agree
with the check; a spec that does not check is rejected with diagnostics, never a traceback."""
from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import archlang
from fuzz.grammar import spec as grammar_spec

from .helpers import compiled, forward_agrees, param_count
from .test_safety import assert_safe


def tup(vals):
    return f"({vals[0]},)" if len(vals) == 1 else "(" + ", ".join(map(str, vals)) + ")"


@st.composite
def pad(draw, rank, same=True):
    kind = draw(st.sampled_from(["int", "dims", "uneven", "same"] if same else ["int", "dims", "uneven"]))
    if kind == "int":
        return f"pad={draw(st.integers(0, 3))}"
    if kind == "dims":
        return f"pad={tup(draw(st.lists(st.integers(0, 2), min_size=rank, max_size=rank)))}"
    if kind == "uneven":
        return f"pad={tup(draw(st.lists(st.integers(0, 3), min_size=2 * rank, max_size=2 * rank)))}"
    return "pad=SamePad()"


@st.composite
def layer(draw, rank, depth=0):
    ks = st.lists(st.integers(1, 4), min_size=rank, max_size=rank)
    kind = draw(st.sampled_from(["conv", "conv", "pool", "norm", "act", "convt", "dw"]
                                + (["skip", "par"] if depth < 2 else [])))
    if kind == "conv":
        c_in = draw(st.sampled_from(["_", "_", "_", "2"]))
        groups = draw(st.sampled_from([1, 1, 2]))
        c_out = draw(st.integers(1, 4)) * groups
        extra = [draw(pad(rank))]
        if draw(st.booleans()):
            extra.append(f"stride={draw(st.integers(1, 3))}")
        if draw(st.booleans()):
            extra.append(f"dilation={tup(draw(st.lists(st.integers(1, 2), min_size=rank, max_size=rank)))}")
        if groups > 1:
            extra.append(f"groups={groups}")
        if draw(st.booleans()):
            extra.append("bias=false")
        act = draw(st.sampled_from(["", "relu, ", "tanh, ", "softmax, ", "leakyrelu, ", "gelu, "]))
        return f"Conv({tup(draw(ks))}, {c_in} => {c_out}, {act}{', '.join(extra)})"
    if kind == "dw":
        return f"DepthwiseConv({tup(draw(ks))}, 2 => 4, {draw(pad(rank))})"
    if kind == "convt":
        return (f"ConvTranspose({tup(draw(ks))}, _ => {draw(st.integers(1, 3))}, "
                f"stride={draw(st.integers(1, 2))}, {draw(pad(rank, same=False))})")
    if kind == "pool":
        name = draw(st.sampled_from(["MaxPool", "MeanPool"]))
        extra = [draw(pad(rank))]
        if draw(st.booleans()):
            extra.append(f"stride={draw(st.integers(1, 3))}")
        if draw(st.integers(0, 3)) == 0:
            extra.append("ceil=true")      # rejected statically where PyTorch could not do it
        return f"{name}({tup(draw(ks))}, {', '.join(extra)})"
    if kind == "norm":
        return draw(st.sampled_from(["BatchNorm(_)", "BatchNorm(_, relu)", "LayerNorm(_)",
                                     "Dropout(0.1)", "BatchNorm(3)"]))
    if kind == "act":
        return draw(st.sampled_from(["relu", "sigmoid", "swish", "hardswish", "elu", "logsoftmax",
                                     "softplus", "relu6", "identity"]))
    inner = draw(st.lists(layer(rank, depth + 1), min_size=1, max_size=3))
    if kind == "skip":
        return f"SkipConnection(Chain({', '.join(inner)}), {draw(st.sampled_from(['+', 'cat']))})"
    other = draw(st.lists(layer(rank, depth + 1), min_size=1, max_size=2))
    return (f"Parallel({draw(st.sampled_from(['+', 'cat']))}, Chain({', '.join(inner)}), "
            f"Chain({', '.join(other)}))")


@st.composite
def spec(draw):
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    hi = 9 if rank < 3 else 5
    dims = draw(st.lists(st.integers(1, hi), min_size=rank, max_size=rank))
    shape = "×".join(map(str, dims + [draw(st.sampled_from([1, 2, 3, 4]))]))
    body = draw(st.lists(layer(rank), min_size=1, max_size=5))
    tail = draw(st.sampled_from(["", "GlobalMeanPool(), flatten, Dense(_ => 3)",
                                 "flatten, Dense(_ => 2, relu)", "GlobalMaxPool()",
                                 f"AdaptiveMeanPool({tup([2] * rank)})"]))
    return f"model m(x: {shape}) = Chain({', '.join(body + ([tail] if tail else []))})"


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec())
def test_random_specs_agree_or_are_rejected_statically(text):
    result = archlang.check(text)
    event("checks" if result.ok else "rejected statically")
    if not result.ok:
        assert result.errors and all(d.code.startswith("E") for d in result.errors)
        return
    report, gen, module = compiled(text)
    assert param_count(module) == report.params
    assert_safe(gen.source)
    forward_agrees(report, gen, module)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.randoms(use_true_random=False).map(grammar_spec))
def test_grammar_generated_specs_agree_with_their_compiled_modules(text):
    """The same property over the fuzzing grammar (tests/fuzz/grammar.py): blocks with
    defaults, repeat, numbered lines, integer expressions, reshape, imports, several models."""
    result = archlang.check(text)
    event("checks" if result.ok else "rejected statically")
    if not result.ok:
        assert all(d.span is not None and d.code != "E0999" for d in result.diagnostics)
        return
    for report in result.models:
        report, gen, module = compiled(text, report.name)
        assert param_count(module) == report.params
        forward_agrees(report, gen, module)
