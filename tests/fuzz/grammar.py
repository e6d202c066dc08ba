"""Spec text from the grammar (grammars/archlang.lark), for fuzzing and differential tests.

`spec(rng)` writes one spec from a `random.Random`: imports of the standard library, blocks
with parameters and defaults, models with every form of shape, chains (some numbered, as
pasted printouts), SkipConnection/Parallel/repeat, keyword arguments, integer expressions
with every operator, strings, and train sections. Sizes are mostly inferred (`_`) or
size-keeping, so that about half the specs check and the other half exercise diagnostics.
`tests/fuzz/test_fuzz.py` drives it from hypothesis (`st.randoms()`), `bench/fuzz.py` from a
seeded Random for long runs.
"""
from __future__ import annotations

import random

ACTIVATIONS = ["relu", "tanh", "sigmoid", "gelu", "swish", "elu", "softplus", "identity", "σ"]
OPS = ["+", "-", "*", "÷", "//", "/", "^"]


def tup(values) -> str:
    values = list(values)
    return f"({values[0]},)" if len(values) == 1 else "(" + ", ".join(map(str, values)) + ")"


def number(rng: random.Random, lo: int = 1, hi: int = 8, params=()) -> str:
    """An integer expression whose value is usually in [lo, hi] (block parameters allowed)."""
    r = rng.random()
    v = rng.randint(lo, hi)
    if params and r < 0.25:
        return rng.choice(params)
    if r < 0.6:
        return str(v)
    op = rng.choice(OPS)
    if op == "+":
        a = rng.randint(0, v)
        return f"{a} + {v - a}" if a else f"{v} + 0"
    if op == "-":
        return f"{v + 2} - 2"
    if op == "*":
        return f"{v} * 1"
    if op in ("÷", "//"):
        return f"{2 * v} {op} 2"
    if op == "/":
        return f"({2 * v}) / 2"
    if v in (1, 2, 4, 8):
        return f"2^{v.bit_length() - 1}"
    return f"-(-{v})"


def shape(rng: random.Random, rank: int) -> str:
    dims = [rng.randint(4, 12) for _ in range(rank)] + [rng.choice([1, 2, 3, 4])]
    form = rng.random()
    if form < 0.6:
        return "×".join(map(str, dims))
    if form < 0.8:
        return "x".join(map(str, dims))
    return tup(dims) if len(dims) > 1 else str(dims[0])


def window_layer(rng: random.Random, rank: int, params=()) -> str:
    k = tup(rng.randint(1, 3) for _ in range(rank))
    kind = rng.random()
    if kind < 0.45:
        c = number(rng, 1, 6, params)
        extra = [rng.choice(["pad=SamePad()", "pad=1", f"pad={tup([0] * rank)}", "pad=0"])]
        if rng.random() < 0.3:
            extra.append(f"stride={rng.randint(1, 2)}")
        if rng.random() < 0.2:
            extra.append("bias=false")
        if rng.random() < 0.1:
            extra.append(f'init="{rng.choice(["kaiming_normal", "zeros", "orthogonal"])}"')
        act = rng.choice(ACTIVATIONS + [""] * 4)
        return f"Conv({k}, _ => {c}{', ' + act if act else ''}, {', '.join(extra)})"
    if kind < 0.6:
        return f"{rng.choice(['MaxPool', 'MeanPool'])}({k}, stride=1, pad=SamePad())"
    if kind < 0.75:
        return rng.choice(["BatchNorm(_)", "BatchNorm(_, relu)", f"Dropout(0.{rng.randint(0, 9)})",
                           "LayerNorm(_)"])
    return rng.choice(ACTIVATIONS)


def layer(rng: random.Random, rank: int, depth: int, blocks: list[tuple[str, int]], params=()) -> str:
    r = rng.random()
    if depth < 3 and r < 0.12:
        inner = chain(rng, rank, depth + 1, blocks, params)
        return f"SkipConnection({inner}, {rng.choice(['+', 'cat'])})"
    if depth < 3 and r < 0.2:
        branches = [chain(rng, rank, depth + 1, blocks, params) for _ in range(rng.randint(1, 3))]
        return f"Parallel({rng.choice(['+', 'cat'])}, {', '.join(branches)})"
    if depth < 3 and r < 0.27:
        return f"repeat({number(rng, 0, 3)}, {layer(rng, rank, depth + 1, blocks, params)})"
    if blocks and r < 0.4:
        name, arity = rng.choice(blocks)
        return f"{name}({', '.join(number(rng, 1, 6) for _ in range(arity))})"
    return window_layer(rng, rank, params)


def chain(rng: random.Random, rank: int, depth: int, blocks, params=()) -> str:
    items = [layer(rng, rank, depth, blocks, params) for _ in range(rng.randint(1, 4))]
    return f"Chain({', '.join(items)})"


def head(rng: random.Random) -> str:
    """What ends an image model: a global pool and a classifier, or a flatten."""
    return rng.choice(["GlobalMeanPool(), flatten, Dense(_ => 10)", "flatten, Dense(_, 10)",
                       "flatten, Dense(_ => 4, relu), Dense(4 => 2), softmax", "GlobalMaxPool()",
                       "flatten, Dense(_ => 8), reshape(2, 2, 2), Conv((1, 1), 2 => 3)", ""])


def graph_model(rng: random.Random, name: str, blocks) -> str:
    """A model with a graph body: one or two inputs, statements that apply layers to earlier
    values, joins (`+`, `*`, `cat` with and without dims), learned tensors, sequence layers
    (Select, per-token Dense, attention), and one to three returned values."""
    seq = rng.random() < 0.4
    inputs = [("x", f"{rng.randint(2, 6)}×{rng.choice([4, 8])}" if seq else shape(rng, 2))]
    if rng.random() < 0.3:
        inputs.append(("side", str(rng.randint(2, 6))))
    values = [n for n, _ in inputs]
    lines = []
    for k in range(rng.randint(1, 5)):
        a, b = rng.choice(values), rng.choice(values)
        r = rng.random()
        if r < 0.3:
            v = f"{layer(rng, 1 if seq else 2, 1, blocks)}({a})"
        elif r < 0.45:
            v = f"{a} {rng.choice(['+', '*'])} {b}"
        elif r < 0.55:
            v = f"cat({a}, {b}{rng.choice(['', '; dims=1', '; dims=2'])})"
        elif r < 0.65:
            v = f"{a} + Parameter({rng.choice(['1×4', '4', '2×8', '1×8'])}"
            v += rng.choice(["", '; init="normal"', '; init="ones"']) + ")"
        elif r < 0.75:
            v = f"{rng.choice(['Select(1)', 'Select(2; dims=2)', 'flatten', 'relu'])}({a})"
        elif r < 0.85:
            v = f"Dense(_ => {rng.choice([4, 8])}, {rng.choice(ACTIVATIONS)})({a})"
        else:
            v = f"MultiHeadAttention({rng.choice([4, 8])}, {rng.choice([1, 2, 3])})({a}" + \
                (f", {b})" if rng.random() < 0.3 else ")")
        name_k = rng.choice([f"v{k}", f"v{k}", rng.choice(values)])      # sometimes a redefinition
        lines.append(f"    {name_k} = {v}")
        values.append(name_k)
    outs = rng.sample(values[-3:], k=min(len(values[-3:]), rng.randint(1, 2)))
    if rng.random() < 0.3:
        outs.append(f"relu({values[-1]})")
    header = ", ".join(f"{n}: {s}" for n, s in inputs)
    sep = rng.choice(["\n", "; ", ", "])
    return f"model {name}({header}) = {{\n" + sep.join(lines) + f"\n    return {', '.join(outs)}\n}}"


def spec(rng: random.Random) -> str:
    """One spec: imports, blocks, one or two models, maybe a train section."""
    lines = []
    blocks: list[tuple[str, int]] = []
    if rng.random() < 0.2:
        lines.append('import "std/resnet.arch"')
        blocks.append(("BasicBlock", 1))
    for b in range(rng.randint(0, 2)):
        rank_b = 2
        params = [f"c{i}" for i in range(rng.randint(1, 2))]
        header = ", ".join(p if i or rng.random() < 0.7 else f"{p} = {number(rng, 1, 4)}"
                           for i, p in enumerate(params))
        lines.append(f"block B{b}({header}) = {chain(rng, rank_b, 1, list(blocks), params)}")
        blocks.append((f"B{b}", len(params)))
    names = []
    for m in range(rng.randint(1, 2)):
        rank = rng.choice([1, 2, 2, 2, 3]) if not blocks else 2
        body = [layer(rng, rank, 0, blocks) for _ in range(rng.randint(1, 5))]
        tail = head(rng) if rank == 2 else rng.choice(["", "GlobalMeanPool(), flatten, Dense(_ => 3)"])
        if rng.random() < 0.25:
            lines.append(graph_model(rng, f"m{m}", blocks))
        elif rng.random() < 0.15 and not tail:
            items = "\n".join(f"  {i + 1}: {x}" for i, x in enumerate(body))
            lines.append(f"model m{m}(x: {shape(rng, rank)}) = Chain(\n{items}\n)")
        else:
            lines.append(f"model m{m}(x: {shape(rng, rank)}) = Chain({', '.join(body + ([tail] if tail else []))})")
        names.append(f"m{m}")
    if rng.random() < 0.2:
        lines.append(f"train {rng.choice(names)} {{\n  epochs = {rng.randint(1, 3)}\n  lr = 1e-3\n"
                     f"  loss = crossentropy\n}}")
    return "\n".join(lines) + "\n"
