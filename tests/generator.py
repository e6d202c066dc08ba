"""The one generator of spec text: property tests, fuzzers and benchmarks all draw from it.

`spec(rng)` writes one spec from a `random.Random`: imports of the standard library, blocks with
parameters and defaults, models on vectors, sequences, images and volumes (every form of
shape), chains (some numbered, as pasted printouts), SkipConnection and Parallel with `+`, `*`
and `cat` (equal shapes and broadcast ones), repeat, graph bodies (several inputs and outputs,
joins, `cat(...; dims)`, learned `Parameter`s, attention), integer expressions with every
operator, keyword arguments and train sections; and, through `WRITERS`, every layer kind of
the registry (archlang.layers.REGISTRY) under every one of its names.

The generator follows the shape of the tensor it writes layers for, so that most specs check
(tests/backends/test_properties.py states the floor); `mistakes` is the chance that a spec
gets one deliberate error (a wrong size, a layer on the wrong rank, a window larger than its
input), so that diagnostics are exercised too. `used` (a Counter) collects the layer names
written, for the coverage tests.

The tensor a layer sees is a `T`: its spatial sizes in the spec's order (W, H, D; none for a
vector) and its channels (a vector's features).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from math import prod

from archlang.layers import REGISTRY, kinds
from archlang.layers.args import ACTIVATIONS

OPS = ["+", "-", "*", "÷", "//", "/", "^"]


@dataclass(frozen=True)
class T:
    spatial: tuple[int, ...]
    c: int

    @property
    def rank(self) -> int:
        return len(self.spatial)

    @property
    def dims(self) -> tuple[int, ...]:
        return (*self.spatial, self.c)

    def text(self, rng: random.Random | None = None) -> str:
        if rng is None or rng.random() < 0.6:
            return "×".join(map(str, self.dims))
        if rng.random() < 0.5:
            return "x".join(map(str, self.dims))
        return tup(self.dims) if len(self.dims) > 1 else str(self.c)


@dataclass
class Gen:
    """One spec's drawing state: the random source, names written, block signatures."""

    rng: random.Random
    used: Counter = field(default_factory=Counter)
    blocks: list = field(default_factory=list)         # (name, rank or None for any, arity)
    block_mode: bool = False                            # writing a block body: channels are `c`
    mistake_left: bool = False                          # one deliberate error still to write
    kernel_param: bool = False                          # block kernels written `(k, k)`

    def name(self, cls, rank: int | None = None) -> str:
        """One of the names of a layer kind that fits the rank (Conv2d on images only)."""
        names = [n for n, c in REGISTRY.items() if c is cls and _fits_rank(n, rank)]
        # The least written so far (a Counter shared over many specs covers every alias,
        # however rare the tensors a name fits).
        fewest = min(self.used[n] for n in names)
        n = self.rng.choice([n for n in names if self.used[n] == fewest])
        self.used[n] += 1
        return n

    def num(self, v: int) -> str:
        """An integer expression of value v: a literal mostly, sometimes with an operator."""
        r = self.rng.random()
        if r < 0.75:
            return str(v)
        op = self.rng.choice(OPS)
        if op == "+":
            a = self.rng.randint(0, v)
            return f"{a} + {v - a}"
        if op == "-":
            return f"{v + 2} - 2"
        if op == "*":
            return f"{v} * 1"
        if op in ("÷", "//"):
            return f"{2 * v} {op} 2"
        if op == "/":
            return f"({2 * v}) / 2"
        if v in (1, 2, 4, 8, 16):
            return f"2^{v.bit_length() - 1}"
        return f"-(-{v})"

    def chan(self, v: int) -> str:
        """A channel count: the block parameter inside a block body."""
        return "c" if self.block_mode else self.num(v)

    def c_in(self, t: T) -> str:
        return "_" if self.block_mode or self.rng.random() < 0.4 else self.num(t.c)


def _fits_rank(name: str, rank: int | None) -> bool:
    for r in (1, 2, 3):
        if name.endswith(f"{r}d"):
            return rank == r or (name.startswith("BatchNorm") and r == 1 and rank == 0)
    return True


def tup(values) -> str:
    values = list(values)
    return f"({values[0]},)" if len(values) == 1 else "(" + ", ".join(map(str, values)) + ")"


# ---- one writer per layer kind: (gen, tensor, the kind's class) → (text, tensor after), or
# None where the kind cannot take that tensor. A kind missing from WRITERS fails
# tests/test_generator.py.

def _window_out(n, k, s, lo, hi, d=1):
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def w_activation(g: Gen, t: T, cls):
    name = g.name(cls)
    if name == "GELU" and g.rng.random() < 0.5:
        return f'GELU(approximate="{g.rng.choice(["tanh", "none"])}")', t
    return (f"{name}()" if name[0].isupper() and g.rng.random() < 0.3 else name), t


def _conv(g: Gen, t: T, cls, keep: bool):
    if t.rank == 0:
        return None
    rng = g.rng
    k = [rng.randint(1, min(3, n)) for n in t.spatial]
    stride, dil = 1, [1] * t.rank
    c_out = t.c if keep else rng.choice([2, 4, 6, 8])
    groups = 1
    extra = []
    if keep or g.block_mode:
        extra.append(rng.choice(["pad=SamePad()", "pad=same"]))
        out = t.spatial
    else:
        if rng.random() < 0.3:
            dil = [rng.randint(1, 2) if n >= 2 * kk else 1 for n, kk in zip(t.spatial, k)]
            extra.append(f"dilation={tup(dil)}")
        if rng.random() < 0.3:
            stride = rng.randint(1, 2)
            extra.append(f"stride={stride}")
        form = rng.random()
        if form < 0.3:
            extra.append("pad=SamePad()")
            out = tuple(-(-n // stride) for n in t.spatial)
        elif form < 0.55:
            p = rng.randint(0, 1)
            extra.append(f"pad={p}")
            out = tuple(_window_out(n, kk, stride, p, p, d) for n, kk, d in zip(t.spatial, k, dil))
        elif form < 0.75:
            pads = [rng.randint(0, 2) for _ in range(2 * t.rank)]
            extra.append(f"pad={tup(pads)}")
            out = tuple(_window_out(n, kk, stride, pads[2 * i], pads[2 * i + 1], d)
                        for i, (n, kk, d) in enumerate(zip(t.spatial, k, dil)))
        else:
            out = tuple(_window_out(n, kk, stride, 0, 0, d) for n, kk, d in zip(t.spatial, k, dil))
        if t.c % 2 == 0 and c_out % 2 == 0 and rng.random() < 0.2:
            groups = 2
            extra.append("groups=2")
    if rng.random() < 0.2:
        extra.append("bias=false")
    if rng.random() < 0.1:
        extra.append(f'init="{rng.choice(["kaiming_normal", "zeros", "orthogonal"])}"')
    act = rng.choice(list(ACTIVATIONS) + [""] * 8)
    kernel = tup(["k"] * t.rank) if g.block_mode and g.kernel_param else tup(k)
    head = f"{g.name(cls, t.rank)}({kernel}, {g.c_in(t)} => {g.chan(c_out)}"
    return f"{head}{', ' + act if act else ''}, {', '.join(extra)})" if extra else f"{head}{', ' + act if act else ''})", \
        T(out, c_out)


def w_conv(g: Gen, t: T, cls):
    return _conv(g, t, cls, keep=g.rng.random() < 0.3)


def w_depthwise(g: Gen, t: T, cls):
    if t.rank == 0 or g.block_mode:
        return None
    m = g.rng.choice([1, 2])
    k = [g.rng.randint(1, min(3, n)) for n in t.spatial]
    return (f"{g.name(cls)}({tup(k)}, {g.num(t.c)} => {g.num(t.c * m)}, pad=SamePad())",
            T(t.spatial, t.c * m))


def w_conv_transpose(g: Gen, t: T, cls):
    if t.rank == 0 or g.block_mode or max(t.spatial) > 8:
        return None
    rng = g.rng
    k = [rng.randint(1, 3) for _ in t.spatial]
    s = rng.randint(1, 2)
    pads = [rng.randint(0, min(1, kk - 1)) for kk in k for _ in range(2)]
    out = tuple((n - 1) * s - pads[2 * i] - pads[2 * i + 1] + kk for i, (n, kk) in enumerate(zip(t.spatial, k)))
    if min(out) < 1:
        return None
    c_out = rng.choice([2, 3, 4])
    return (f"{g.name(cls, t.rank)}({tup(k)}, {g.c_in(t)} => {c_out}, stride={s}, "
            f"pad={tup(pads)})", T(out, c_out))


def w_dense(g: Gen, t: T, cls):
    if t.rank > 1:
        return None
    m = t.c if g.block_mode else g.rng.choice([2, 3, 4, 8, 10])
    act = g.rng.choice(list(ACTIVATIONS) + [""] * 6)
    tail = f", {act}" if act else ""
    if g.rng.random() < 0.3 and not g.block_mode:
        return f"{g.name(cls)}({g.num(t.c)}, {m}{tail})", T(t.spatial, m)
    return f"{g.name(cls)}({g.c_in(t)} => {g.chan(m)}{tail})", T(t.spatial, m)


def w_batchnorm(g: Gen, t: T, cls):
    act = g.rng.choice(["", "", ", relu", ", tanh"])
    eps = g.rng.choice(["", "", ", eps=1e-3", ", momentum=0.01"])
    return f"{g.name(cls, t.rank)}({g.c_in(t)}{act}{eps})", t


def w_layernorm(g: Gen, t: T, cls):
    return f"{g.name(cls)}({g.c_in(t)}{g.rng.choice(['', '', ', gelu'])})", t


def w_dropout(g: Gen, t: T, cls):
    return f"{g.name(cls)}(0.{g.rng.randint(0, 9)})", t


def _pool(g: Gen, t: T, cls):
    if t.rank == 0 or g.block_mode:
        return None
    rng = g.rng
    k = [rng.randint(1, min(3, n)) for n in t.spatial]
    extra, stride = [], list(k)
    if rng.random() < 0.4:
        s = rng.randint(1, 2)
        stride = [s] * t.rank
        extra.append(f"stride={s}")
    p = 0
    if rng.random() < 0.3 and min(k) >= 2:
        p = 1
        extra.append("pad=1")
    out = tuple(_window_out(n, kk, s, p, p) for n, kk, s in zip(t.spatial, k, stride))
    if p == 0 and rng.random() < 0.2:
        # PyTorch's ceil_mode: one more window where one starts inside the input
        extra.append(rng.choice(["ceil=true", "ceil_mode=true"]))
        out = tuple(o + 1 if (n - kk) % s and o * s < n else o
                    for o, n, kk, s in zip(out, t.spatial, k, stride))
    text = f"{g.name(cls, t.rank)}({tup(k)}{''.join(', ' + e for e in extra)})"
    return text, T(out, t.c)


def _global(g: Gen, t: T, cls):
    if t.rank == 0 or g.block_mode:
        return None
    return f"{g.name(cls)}()", T((1,) * t.rank, t.c)


def _adaptive(g: Gen, t: T, cls):
    if t.rank == 0 or g.block_mode:
        return None
    out = tuple(g.rng.randint(1, n) for n in t.spatial)
    size = str(out[0]) if len(set(out)) == 1 and g.rng.random() < 0.3 else tup(out)
    return f"{g.name(cls, t.rank)}({size})", T(out, t.c)


def w_embedding(g: Gen, t: T, cls):
    """Token ids → vectors and their positions: written by `chain_model` at the start of a
    model whose input is `L of int` (token_input; a T has no dtype); here, none."""
    return None


def token_input(g: Gen, t: T) -> tuple[str, str, T] | None:
    """Sometimes, for a vector input: a token-id input of t.c ids and the Embedding that starts
    its model: (input text, layer text, tensor after). Drawn from a stream of its own (seeded
    from the spec's, which it does not advance), so that every spec without token ids stayed
    the spec it was before they existed: tests pin constructs to seeds."""
    rng = random.Random(hash(g.rng.getstate()))
    if t.rank or rng.random() >= 0.3:
        return None
    vocab, d = rng.choice([5, 10, 100]), rng.choice([2, 4, 8])
    form = rng.choice([f"{vocab} => {d}", f"{vocab}, {d}", f"{vocab} => {d}; pad=0"])
    g.used["Embedding"] += 1
    layer = f"Embedding({form})"
    if rng.random() < 0.5:                           # learned positions added to it
        name = rng.choice(["PositionEmbedding", "Positions"])
        g.used[name] += 1
        layer = f"Chain({layer}, SkipConnection({name}({t.c + rng.choice([0, 3])} => {d}), +))"
    return f"{t.c} of int", layer, T((t.c,), d)


def w_parameter(g: Gen, t: T, cls):
    """A learned tensor joined to the input (`x + Parameter(...)`): graph bodies only, written
    by `graph_model`; here, the broadcast shape it may take."""
    return None


def w_select(g: Gen, t: T, cls):
    if t.rank == 0 or g.block_mode:
        return None
    d = g.rng.randint(1, t.rank)
    i = g.rng.randint(1, t.spatial[d - 1])
    dims = "" if d == 1 and g.rng.random() < 0.5 else f"; dims={d}"
    return f"{g.name(cls)}({i}{dims})", T(t.spatial[:d - 1] + t.spatial[d:], t.c)


def w_attention(g: Gen, t: T, cls):
    # Along dim 1; an image is a batch of sequences (windows) along its dim 2.
    if t.rank < 1 or (t.rank == 2 and g.rng.random() < 0.7):
        return None
    heads = 1 if g.block_mode else g.rng.choice([h for h in (1, 2, 4) if t.c % h == 0])
    tokens = t.spatial[0]
    w = g.rng.choice([k for k in range(1, min(tokens, 8) + 1) if tokens % k == 0])
    window = f"relative_bias={w}" if w * w == tokens else f"relative_bias=({w}, {tokens // w})"
    shifted = f"; {window}, shift={min(w, tokens // w) - 1}" if t.rank == 3 and tokens <= 64 else ""
    extra = g.rng.choice(["", "", "; bias=false", "; dropout=0.1", "; causal=true", "; scale=0.5",
                          f"; {window}" if tokens <= 64 else "", shifted])
    return f"{g.name(cls)}({g.chan(t.c)}, {heads}{extra})", t


def w_recurrent(g: Gen, t: T, cls):
    """LSTM, GRU, RNN on a sequence: layers, directions, an LSTM's projection, an RNN's
    activation, and the output selections (a vector but for "sequence")."""
    if t.rank != 1 or g.block_mode:
        return None
    rng = g.rng
    hidden = rng.choice([2, 3, 4, 8])
    name = g.name(cls)
    extra = []
    layers = rng.choice([1, 1, 2])
    if layers > 1:
        extra.append(f"{rng.choice(['layers', 'num_layers'])}={layers}")
        if rng.random() < 0.3:
            extra.append("dropout=0.1")
    directions = 2 if rng.random() < 0.4 else 1
    if directions == 2:
        extra.append("bidirectional=true")
    if rng.random() < 0.2:
        extra.append("bias=false")
    width = hidden
    if cls.kind == "LSTM" and hidden > 2 and rng.random() < 0.3:
        width = rng.randint(1, hidden - 1)
        extra.append(f"proj_size={width}")
    act = ", relu" if cls.kind == "RNN" and rng.random() < 0.4 else ""
    out = rng.choice(["", "", "sequence", "last", "mean", "max"])
    if out:
        extra.append(f'out="{out}"')
    spatial = t.spatial if out in ("", "sequence") else ()
    head = f"{g.num(t.c)}, {hidden}" if rng.random() < 0.3 else f"{g.c_in(t)} => {hidden}"
    tail = f"; {', '.join(extra)}" if extra else ""
    return f"{name}({head}{act}{tail})", T(spatial, width * directions)


def w_flatten(g: Gen, t: T, cls):
    if g.block_mode:
        return None
    return g.name(cls) + ("()" if g.rng.random() < 0.2 else ""), T((), prod(t.dims))


def w_reshape(g: Gen, t: T, cls):
    if g.block_mode:
        return None
    n = prod(t.dims)
    splits = [d for d in range(1, n + 1) if n % d == 0]
    a = g.rng.choice(splits)
    dims = [a, n // a] if g.rng.random() < 0.6 else [n]
    if g.rng.random() < 0.3 and len(dims) == 2 and dims[1] % 2 == 0:
        dims = [a, dims[1] // 2, 2]
    written = [str(d) for d in dims]
    if len(written) > 1 and g.rng.random() < 0.3:
        written[0] = "_"
    args = "×".join(written) if g.rng.random() < 0.2 and "_" not in written else ", ".join(written)
    return f"{g.name(cls)}({args})", T(tuple(dims[:-1]), dims[-1])


def w_channel_shuffle(g: Gen, t: T, cls):
    if t.rank == 0:
        return None
    groups = 1 if g.block_mode else g.rng.choice([d for d in (1, 2, 3, 4) if t.c % d == 0])
    return f"{g.name(cls)}({groups})", t


def _part_dim(g: Gen, t: T):
    d = g.rng.randint(1, t.rank + 1)
    size = t.dims[d - 1]
    dims = "" if d == t.rank + 1 and g.rng.random() < 0.5 else f"; dims={d}"
    return d, size, dims


def _with_dim(t: T, d: int, size: int) -> T:
    dims = list(t.dims)
    dims[d - 1] = size
    return T(tuple(dims[:-1]), dims[-1])


def w_chunk(g: Gen, t: T, cls):
    if g.block_mode:
        return None
    d, size, dims = _part_dim(g, t)
    n = g.rng.choice([k for k in (1, 2, 3, 4) if size % k == 0])
    return f"{g.name(cls)}({n}, {g.rng.randint(1, n)}{dims})", _with_dim(t, d, size // n)


def w_slice(g: Gen, t: T, cls):
    if g.block_mode:
        return None
    d, size, dims = _part_dim(g, t)
    a = g.rng.randint(1, size)
    b = g.rng.randint(a, size)
    return f"{g.name(cls)}({a}, {b}{dims})", _with_dim(t, d, b - a + 1)


def w_scale(g: Gen, t: T, cls):
    extra = g.rng.choice(["", "", ", mish", ", bias=false, init=1e-6", ", init=0.5"])
    return f"{g.name(cls)}({g.c_in(t)}{extra})", t


def w_upsample(g: Gen, t: T, cls):
    if t.rank == 0 or g.block_mode or max(t.spatial) > 8:
        return None
    rng = g.rng
    mode = rng.choice(["nearest", {1: "linear", 2: "bilinear", 3: "trilinear"}[t.rank]])
    corners = ", align_corners=true" if mode != "nearest" and rng.random() < 0.3 else ""
    if rng.random() < 0.5:
        s = rng.randint(1, 2)
        form = rng.choice([f"{mode}, scale={s}", f"scale={s}, mode=\"{mode}\"", f"{s}, {mode}"])
        return f"{g.name(cls)}({form}{corners})", T(tuple(n * s for n in t.spatial), t.c)
    size = tuple(rng.randint(1, 12) for _ in t.spatial)
    return f"{g.name(cls)}({mode}, size={tup(size)}{corners})", T(size, t.c)


def w_pixel_shuffle(g: Gen, t: T, cls):
    if t.rank != 2 or g.block_mode:
        return None
    r = g.rng.choice([r for r in (1, 2) if t.c % (r * r) == 0])
    return f"{g.name(cls)}({r})", T(tuple(n * r for n in t.spatial), t.c // (r * r))


def w_permutedims(g: Gen, t: T, cls):
    # Inside a block the channels are the parameter `c`: they stay the last dim there.
    n = len(t.dims)
    perm = list(range(1, n + 1))
    moving = perm[:-1] if g.block_mode else perm
    g.rng.shuffle(moving)
    perm = moving + ([n] if g.block_mode else [])
    dims = [t.dims[p - 1] for p in perm]
    written = tup(perm) if g.rng.random() < 0.7 or n == 1 else ", ".join(map(str, perm))
    return f"{g.name(cls)}({written})", T(tuple(dims[:-1]), dims[-1])


def w_circshift(g: Gen, t: T, cls):
    n = len(t.dims)
    k = g.rng.randint(1, n)
    shifts = [g.rng.randint(-5, 5) for _ in range(k)]
    text = str(shifts[0]) if k == 1 and g.rng.random() < 0.5 else tup(shifts)
    if g.rng.random() < 0.4:
        dims = g.rng.sample(range(1, n + 1), k)
        text += f"; dims={dims[0] if k == 1 else tup(dims)}"
    return f"{g.name(cls)}({text})", t


def w_zero_pad(g: Gen, t: T, cls):
    if t.rank < 1:
        return None
    form = g.rng.choice(["one", "per dim", "sides"])
    if form == "one":
        p = g.rng.randint(0, 2)
        return f"{g.name(cls, t.rank)}({p})", T(tuple(n + 2 * p for n in t.spatial), t.c)
    if form == "per dim":
        pads = [g.rng.randint(0, 2) for _ in t.spatial]
        return f"{g.name(cls, t.rank)}({tup(pads)})", T(tuple(n + 2 * p for n, p in zip(t.spatial, pads)), t.c)
    sides = [(g.rng.randint(0, 2), g.rng.randint(0, 2)) for _ in t.spatial]
    flat = [v for pair in sides for v in pair]
    return f"{g.name(cls, t.rank)}({tup(flat)})", T(tuple(n + a + b for n, (a, b) in zip(t.spatial, sides)), t.c)


def w_windows(g: Gen, t: T, cls):
    if not 1 <= t.rank <= 3 or g.block_mode:
        return None
    window = [g.rng.choice([d for d in range(1, n + 1) if n % d == 0]) for n in t.spatial]
    size = str(window[0]) if len(set(window)) == 1 and g.rng.random() < 0.5 else tup(window)
    grid = "; grid=true" if g.rng.random() < 0.3 else ""
    return f"{g.name(cls)}({size}{grid})", T((prod(window), prod(t.spatial) // prod(window)), t.c)


def w_merge_windows(g: Gen, t: T, cls):
    # Tokens × windows × C back into a sequence of tokens·windows (or a square image).
    if t.rank != 2 or g.block_mode:
        return None
    tokens, windows = t.spatial
    root = round(tokens ** 0.5)
    if root * root == tokens and g.rng.random() < 0.5:
        out = (root * windows, root)
        return f"{g.name(cls)}({root}, {tup(out)})", T(out, t.c)
    grid = "; grid=true" if g.rng.random() < 0.3 else ""
    return f"{g.name(cls)}({tokens}, ({tokens * windows},){grid})", T((tokens * windows,), t.c)


WRITERS = {
    "Activation": w_activation, "Conv": w_conv, "DepthwiseConv": w_depthwise,
    "ConvTranspose": w_conv_transpose, "Dense": w_dense, "BatchNorm": w_batchnorm,
    "LayerNorm": w_layernorm, "Dropout": w_dropout, "MaxPool": _pool, "MeanPool": _pool,
    "GlobalMaxPool": _global, "GlobalMeanPool": _global, "AdaptiveMeanPool": _adaptive,
    "AdaptiveMaxPool": _adaptive, "Parameter": w_parameter, "Select": w_select,
    "MultiHeadAttention": w_attention, "Flatten": w_flatten, "Reshape": w_reshape,
    "ChannelShuffle": w_channel_shuffle, "Chunk": w_chunk, "Slice": w_slice, "Scale": w_scale,
    "Upsample": w_upsample, "PixelShuffle": w_pixel_shuffle,
    "Embedding": w_embedding, "PositionEmbedding": w_embedding,
    "PermuteDims": w_permutedims, "CircShift": w_circshift, "ZeroPad": w_zero_pad, "Windows": w_windows,
    "MergeWindows": w_merge_windows,
    "LSTM": w_recurrent, "GRU": w_recurrent, "RNN": w_recurrent,
}
"""Layer kind (its class's name) → writer: every kind in archlang.layers.REGISTRY must have
one (tests/test_generator.py)."""
KINDS = {cls.__name__: cls for cls in kinds()}


def write(g: Gen, t: T, kind: str):
    """`kind`'s writer at `t`: (text, tensor after) or None."""
    return WRITERS[kind](g, t, KINDS[kind])


# Kinds that keep their input's shape whatever it is (inside repeats, skips, blocks).
KEEPERS = ("Activation", "BatchNorm", "LayerNorm", "Dropout", "Scale", "ChannelShuffle")


def layer(g: Gen, t: T):
    """One layer of any kind that can take `t`: (text, tensor after)."""
    order = list(WRITERS)
    g.rng.shuffle(order)
    for kind in order:
        got = write(g, t, kind)
        if got is not None and _small(got[1]):
            return got
    return write(g, t, "Activation")


def keeper(g: Gen, t: T) -> str:
    """One layer that keeps `t` as it is."""
    r = g.rng.random()
    if r < 0.25 and t.rank:
        return _conv(g, t, KINDS['Conv'], keep=True)[0]
    if r < 0.35 and t.rank <= 1:
        return f"{g.name(KINDS['Dense'])}({g.c_in(t)} => {g.chan(t.c)})"
    if r < 0.45 and t.rank == 1:
        return write(g, t, "MultiHeadAttention")[0]
    got = write(g, t, g.rng.choice(KEEPERS))
    return got[0] if got is not None else write(g, t, "Activation")[0]


def _small(t: T) -> bool:
    return min(t.dims) >= 1 and prod(t.dims) <= 4096 and max(t.spatial, default=1) <= 24


def keeping_chain(g: Gen, t: T, depth: int) -> str:
    """A Chain (or one layer) that maps `t` to itself."""
    items = [keeping_item(g, t, depth) for _ in range(g.rng.randint(1, 3))]
    return items[0] if len(items) == 1 and g.rng.random() < 0.3 else f"Chain({', '.join(items)})"


def keeping_item(g: Gen, t: T, depth: int) -> str:
    r = g.rng.random()
    if depth < 2 and r < 0.15:
        return f"SkipConnection({keeping_chain(g, t, depth + 1)}, {g.rng.choice(['+', '*'])})"
    if depth < 2 and r < 0.25:
        return f"repeat({g.num(g.rng.randint(1, 3))}, {keeping_chain(g, t, depth + 1)})"
    fitting = [(n, rank, arity) for n, rank, arity in g.blocks if rank in (None, t.rank)]
    if not g.block_mode and fitting and r < 0.4:
        name, _, arity = g.rng.choice(fitting)
        extra = [str(g.rng.choice([1, 3]))] if arity > 1 and g.rng.random() < 0.5 else []
        return f"{name}({', '.join([g.num(t.c)] + extra)})"
    return keeper(g, t)


def widening(g: Gen, t: T, c_out: int) -> str:
    """A Chain that keeps `t`'s spatial sizes and ends with `c_out` channels."""
    items = [keeper(g, t) for _ in range(g.rng.randint(0, 2))]
    if t.rank:
        k = [g.rng.choice([1, 3]) for _ in t.spatial]
        items.append(f"{g.name(KINDS['Conv'], t.rank)}({tup(k)}, _ => {g.num(c_out)}, pad=SamePad())")
    else:
        items.append(f"{g.name(KINDS['Dense'])}(_ => {g.num(c_out)})")
    return f"Chain({', '.join(items)})"


def broadcast_branch(g: Gen, t: T) -> str:
    """A Chain whose output broadcasts against `t`: sizes 1 where `t` has any (squeeze-excitation)."""
    c = g.rng.choice([1, t.c])
    if t.rank:
        ones = tup([1] * t.rank)
        return (f"Chain({g.name(KINDS['GlobalMeanPool'])}(), {g.name(KINDS['Conv'], t.rank)}({ones}, _ => {g.num(c)}), "
                f"{g.rng.choice(['sigmoid', 'hardsigmoid', 'relu'])})")
    return f"Chain({g.name(KINDS['Dense'])}(_ => 1), sigmoid)"


def structure(g: Gen, t: T, depth: int):
    """A SkipConnection, Parallel or repeat at `t`: (text, tensor after)."""
    r = g.rng.random()
    if r < 0.3:
        op = g.rng.choice(["+", "*"])
        inner = broadcast_branch(g, t) if g.rng.random() < 0.3 else keeping_chain(g, t, depth + 1)
        return f"SkipConnection({inner}, {op})", t
    if r < 0.45:
        c2 = g.rng.choice([2, 4])
        return f"SkipConnection({widening(g, t, c2)}, cat)", T(t.spatial, t.c + c2)
    if r < 0.75:
        op = g.rng.choice(["+", "*", "cat"])
        n = g.rng.randint(2, 3)
        if op == "cat":
            widths = [g.rng.choice([2, 4]) for _ in range(n)]
            branches = [widening(g, t, w) if g.rng.random() < 0.8 else "identity" for w in widths]
            widths = [w if b != "identity" else t.c for w, b in zip(widths, branches)]
            return f"Parallel(cat, {', '.join(branches)})", T(t.spatial, sum(widths))
        branches = [keeping_chain(g, t, depth + 1) for _ in range(n - 1)]
        branches.append(broadcast_branch(g, t) if g.rng.random() < 0.3 else "identity")
        g.rng.shuffle(branches)
        return f"Parallel({op}, {', '.join(branches)})", t
    return f"repeat({g.num(g.rng.randint(1, 3))}, {keeping_chain(g, t, depth + 1)})", t


def mistake(g: Gen, t: T):
    """One deliberate error at `t`: (text, tensor after, as if it had worked)."""
    r = g.rng.random()
    if t.rank == 0 or r < 0.3:
        return f"{g.name(KINDS['Dense'])}({t.c + 1} => 4)", T(t.spatial, 4)
    if r < 0.6:
        return f"{g.name(KINDS['Conv'], t.rank)}({tup([1] * t.rank)}, {t.c + 1} => 4)", T(t.spatial, 4)
    if r < 0.8:
        return f"{g.name(KINDS['MaxPool'], t.rank)}({tup(n + 2 for n in t.spatial)})", T((1,) * t.rank, t.c)
    return f"{g.name(KINDS['Dense'])}(_ => 4)", T((), 4)


def chain_items(g: Gen, t: T, n: int, depth: int = 0):
    """n items of a model's Chain, starting at `t`: (texts, tensor after)."""
    items = []
    at = g.rng.randrange(n)
    for i in range(n):
        if g.mistake_left and i == at:
            text, t = mistake(g, t)
            g.mistake_left = False
        elif g.rng.random() < 0.25 and depth < 2:
            text, t = structure(g, t, depth)
        else:
            text, t = layer(g, t)
        items.append(text)
    return items, t


def block_def(g: Gen, index: int) -> str:
    """A block whose body keeps any tensor of its rank: parameters `c` and sometimes `k = 3`."""
    rank = g.rng.choice([None, 1, 2, 2, 3])
    arity = 2 if rank and g.rng.random() < 0.3 else 1
    g.block_mode, g.kernel_param = True, arity == 2
    if rank is None:                # any rank: norms, activations, scales only
        rank_free = ["Activation", "BatchNorm", "LayerNorm", "Dropout", "Scale"]
        items = [write(g, T((), 8), g.rng.choice(rank_free))[0] for _ in range(g.rng.randint(1, 3))]
        body = f"Chain({', '.join(items)})"
    else:
        body = keeping_chain(g, T((8,) * rank, 8), 1)
    g.block_mode = g.kernel_param = False
    if arity == 2 and "(k" not in body:
        arity = 1
    name = f"B{index}"
    g.blocks.append((name, rank, arity))
    params = "c" + (f", k = {g.rng.choice([1, 3])}" if arity == 2 else "")
    return f"block {name}({params}) = {body}"


def chain_model(g: Gen, name: str) -> str:
    rank = g.rng.choice([0, 1, 1, 2, 2, 2, 3])
    hi = {0: 16, 1: 12, 2: 10, 3: 6}[rank]
    t = T(tuple(g.rng.randint(2, hi) for _ in range(rank)), g.rng.choice([1, 2, 3, 4, 8]))
    x, tokens, first = t, None, []
    got = token_input(g, t)                          # token ids, looked up by an Embedding
    if got is not None:
        tokens, embed, t = got
        first = [embed]
    items, out = chain_items(g, t, g.rng.randint(1, 6))
    items = first + items
    if g.rng.random() < 0.3:
        tail, out = layer(g, out)
        items.append(tail)
    if g.rng.random() < 0.12:
        body = "\n".join(f"  {i + 1}: {x}" for i, x in enumerate(items))
        return f"model {name}(x: {tokens or x.text(g.rng)}) = Chain(\n{body}\n)"
    joined = ", ".join(items)
    return f"model {name}(x: {tokens or x.text(g.rng)}) = " + (joined if len(items) == 1 and g.rng.random() < 0.3
                                                      else f"Chain({joined})")


def graph_model(g: Gen, name: str) -> str:
    """A graph body: one or two inputs, statements that apply layers to earlier values, joins
    (`+`, `*` with broadcasting, `cat` with and without dims), learned Parameters, attention
    across two values, and one to three returned values."""
    rng = g.rng
    rank = rng.choice([0, 1, 1, 2, 2])
    x = T(tuple(rng.randint(2, 8) for _ in range(rank)), rng.choice([2, 4, 8]))
    values = {"x": x}
    inputs = [f"x: {x.text(rng)}"]
    if rng.random() < 0.3:
        values["side"] = T((), rng.randint(2, 6))
        inputs.append(f"side: {values['side'].c}")
    keep = None                       # a key mask for attention: its length
    if rank == 1 and rng.random() < 0.3:
        keep = x.spatial[0]
        inputs.append(f"keep: {keep} of bool")
    lines = []
    for k in range(rng.randint(1, 5)):
        a = rng.choice(list(values))
        ta = values[a]
        same = [v for v, tv in values.items() if tv == ta]
        r = rng.random()
        if r < 0.3:
            items, tv = chain_items(g, ta, rng.randint(1, 3), depth=1)
            v = f"Chain({', '.join(items)})({a})" if len(items) > 1 or rng.random() < 0.5 else f"{items[0]}({a})"
        elif r < 0.45:
            v, tv = f"{a} {rng.choice(['+', '*'])} {rng.choice(same)}", ta
        elif r < 0.6 and ta.rank:
            if rng.random() < 0.5:
                v, tv = f"cat({a}, {rng.choice(same)})", T(ta.spatial, 2 * ta.c)
            else:
                d = rng.randint(1, ta.rank + 1)
                tv = _with_dim(ta, d, 2 * ta.dims[d - 1])
                v = f"cat({a}, {rng.choice(same)}; dims={d})"
        elif r < 0.75:
            dims = [rng.choice([1, n]) for n in ta.dims]
            init = rng.choice(["", '; init="normal"', '; init="ones"'])
            v, tv = f"{a} {rng.choice(['+', '*'])} {g.name(KINDS['Parameter'])}({'×'.join(map(str, dims))}{init})", ta
        elif r < 0.85 and ta.rank == 1:
            kv = [v for v, tv in values.items() if tv.rank == 1 and tv.c == ta.c]
            heads = rng.choice([h for h in (1, 2, 4) if ta.c % h == 0])
            k = rng.choice(kv)
            masked = "; mask=keep" if keep == values[k].spatial[0] and rng.random() < 0.7 else ""
            v, tv = f"{g.name(KINDS['MultiHeadAttention'])}({ta.c}, {heads})({a}, {k}{masked})", ta
        else:
            text, tv = layer(g, ta)
            v = f"{text}({a})"
        new = f"v{k}"
        lines.append(f"    {new} = {v}")
        values[new] = tv
    if g.mistake_left:
        a = rng.choice(list(values))
        text, values["wrong"] = mistake(g, values[a])
        lines.append(f"    wrong = {text}({a})")
        g.mistake_left = False
    names = list(values)[-3:]
    outs = rng.sample(names, k=min(len(names), rng.randint(1, 2)))
    if rng.random() < 0.3:
        outs.append(f"relu({names[-1]})")
    sep = rng.choice(["\n", "; ", ", "])
    return (f"model {name}({', '.join(inputs)}) = {{\n" + sep.join(lines) +
            f"\n    return {', '.join(outs)}\n}}")


def spec(rng: random.Random, mistakes: float = 0.1, used: Counter | None = None,
         graphs: float = 0.25) -> str:
    """One spec: maybe an import and blocks, one or two models, maybe a train section.

    `mistakes`: the chance of one deliberate error; `used` collects the layer names written;
    `graphs`: the chance that a model has a graph body rather than a Chain."""
    g = Gen(rng, used if used is not None else Counter())
    g.mistake_left = rng.random() < mistakes
    lines = []
    if rng.random() < 0.15:
        lines.append('import "std/resnet.arch"')
        g.blocks.append(("BasicBlock", 2, 1))
    for b in range(rng.choice([0, 0, 1, 2])):
        lines.append(block_def(g, b))
    names = []
    for m in range(rng.choice([1, 1, 1, 2])):
        names.append(f"m{m}")
        lines.append(graph_model(g, f"m{m}") if rng.random() < graphs else chain_model(g, f"m{m}"))
    if rng.random() < 0.15:
        lines.append(f"train {rng.choice(names)} {{\n  epochs = {rng.randint(1, 3)}\n  lr = 1e-3\n}}")
    return "\n".join(lines) + "\n"


def missing_kinds() -> set[str]:
    """Registered layer kinds that have no writer here."""
    return {cls.__name__ for cls in kinds()} - set(WRITERS)
