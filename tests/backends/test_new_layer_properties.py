"""Property: random chains of the new layers (upsampling, pixel and channel shuffles, chunks
and slices along every dimension, Scale, the new activations) between convolutions, on
sequences, images and volumes: a spec that checks compiles to a module whose parameter count,
output and every submodule's shape agree with the check; one that does not is rejected with
diagnostics, never a traceback."""
from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import archlang

from .helpers import compiled, forward_agrees, param_count
from .test_safety import assert_safe


@st.composite
def layer(draw, rank):
    kind = draw(st.sampled_from(["up", "up", "pixel", "shuffle", "chunk", "slice", "scale",
                                 "act", "conv"]))
    dims = draw(st.sampled_from(["", f"; dims={draw(st.integers(1, rank + 1))}"]))
    if kind == "up":
        mode = draw(st.sampled_from(["nearest", {1: "linear", 2: "bilinear", 3: "trilinear"}[rank],
                                     "bilinear"]))
        corners = ", align_corners=true" if mode != "nearest" and draw(st.booleans()) else ""
        if draw(st.booleans()):
            return f"Upsample({mode}, scale={draw(st.integers(1, 3))}{corners})"
        size = draw(st.lists(st.integers(1, 9), min_size=rank, max_size=rank))
        return f"Upsample({mode}, size=({', '.join(map(str, size))},){corners})"
    if kind == "pixel":
        return f"PixelShuffle({draw(st.integers(1, 2))})"
    if kind == "shuffle":
        return f"ChannelShuffle({draw(st.sampled_from([1, 2, 3, 4]))})"
    if kind == "chunk":
        n = draw(st.integers(1, 4))
        return f"Chunk({n}, {draw(st.integers(1, n))}{dims})"
    if kind == "slice":
        a = draw(st.integers(1, 4))
        return f"Slice({a}, {a + draw(st.integers(0, 3))}{dims})"
    if kind == "scale":
        return draw(st.sampled_from(["Scale(_)", "Scale(_, bias=false, init=1e-6)", "Scale(_, mish)"]))
    if kind == "act":
        return draw(st.sampled_from(["hardsigmoid", "mish", "GELU()", 'GELU(approximate="tanh")',
                                     "gelu"]))
    k = ", ".join(["3"] * rank) + ("," if rank == 1 else "")
    return f"Conv(({k}), _ => {draw(st.sampled_from([4, 8, 12]))}, pad=1)"


@st.composite
def spec(draw):
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    dims = draw(st.lists(st.integers(1, 6 if rank < 3 else 4), min_size=rank, max_size=rank))
    shape = "×".join(map(str, dims + [draw(st.sampled_from([4, 8, 12]))]))
    body = draw(st.lists(layer(rank), min_size=1, max_size=5))
    return f"model m(x: {shape}) = Chain({', '.join(body)})"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec())
def test_random_new_layers_agree_or_are_rejected_statically(text):
    result = archlang.check(text)
    event("checks" if result.ok else "rejected statically")
    if not result.ok:
        assert result.errors and all(d.code.startswith("E") for d in result.errors)
        return
    archlang.analyze(text)                       # receptive fields through every layer
    report, gen, module = compiled(text)
    assert param_count(module) == report.params
    assert_safe(gen.source)
    forward_agrees(report, gen, module)
