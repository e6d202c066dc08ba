"""Generated specs for the benchmarks and tests/test_growth.py: large, deep, hostile.

Each function returns spec text. Sizes are arguments so that tests can use small ones.
"""
from __future__ import annotations

CONV = "Conv((3, 3), 8 => 8, relu, pad=1)"


def flat(n: int) -> str:
    """n layers written out one per line: parse-bound (about 39 bytes a layer)."""
    body = ",\n".join("    " + CONV for _ in range(n))
    return f"model flat(x: 16×16×8) = Chain(\n{body})\n"


def residual(n: int) -> str:
    """`repeat` over a residual block of 4 layers (conv, relu, +, relu): graph-bound."""
    return ("block Res(c) = Chain(SkipConnection(Chain(Conv((3, 3), c => c, pad=1), relu), +), relu)\n"
            f"model deep(x: 16×16×8) = Chain(repeat({n // 4}, Res(8)))\n")


def blocks(n: int) -> str:
    """n layers (a multiple of 1,000) through three levels of blocks of ten, no `repeat`:
    a short text whose every layer is built, checked and analysed."""
    if n % 1000:
        raise ValueError("blocks(n): n must be a multiple of 1,000")
    conv = "Conv((3, 3), c => c, relu, pad=1)"
    return (f"block B1(c) = Chain({', '.join([conv] * 10)})\n"
            f"block B2(c) = Chain({', '.join(['B1(c)'] * 10)})\n"
            f"block B3(c) = Chain({', '.join(['B2(c)'] * 10)})\n"
            f"model big(x: 8×8×4) = Chain({', '.join(['B3(4)'] * (n // 1000))})\n")


# ---- hostile inputs: each must end quickly with a diagnostic (archlang/limits.py) ----------
def huge_file(megabytes: int = 50) -> str:
    """A Chain of Dense layers `megabytes` MB long (MAX_FILE_BYTES)."""
    n = megabytes * 1_000_000 // 16
    return "model m(x: 10) = Chain(" + "Dense(10 => 10), " * n + "Dense(10 => 10))\n"


def long_name(chars: int = 1_000_000) -> str:
    """A model whose name has `chars` characters (MAX_NAME_LENGTH)."""
    return f"model {'n' * chars}(x: 10) = Dense(10 => 10)\n"


def many_errors(n: int = 90_000) -> str:
    """n layers, each a channel mismatch, in under 1 MiB (MAX_DIAGNOSTICS)."""
    return "model m(x: 9) = Chain(" + "Dense(5,9)," * n + "Dense(5,9))\n"


def deep_blocks(depth: int = 10_000) -> str:
    """Blocks calling blocks `depth` levels deep (MAX_BLOCK_DEPTH)."""
    defs = ["block B0(c) = Dense(c => c)"]
    defs += [f"block B{i}(c) = B{i - 1}(c)" for i in range(1, depth)]
    return "\n".join(defs) + f"\nmodel m(x: 10) = B{depth - 1}(10)\n"


def doubling_blocks(levels: int = 40) -> str:
    """Each block calls the one below twice: 2^levels layers (MAX_NODES)."""
    defs = ["block B0(c) = Dense(c => c)"]
    defs += [f"block B{i}(c) = Chain(B{i - 1}(c), B{i - 1}(c))" for i in range(1, levels + 1)]
    return "\n".join(defs) + f"\nmodel m(x: 10) = B{levels}(10)\n"


def deep_brackets(depth: int = 100_000) -> str:
    """`Chain(` nested `depth` times (MAX_NESTING)."""
    return "model m(x: 10) = " + "Chain(" * depth + "Dense(10 => 10)" + ")" * depth + "\n"


def long_number(digits: int = 1_000_000) -> str:
    """A size with `digits` digits (MAX_NUMBER_DIGITS)."""
    return f"model m(x: 10) = Dense(10 => 1{'0' * (digits - 1)})\n"


def long_string(chars: int = 1_000_000) -> str:
    """An import path of `chars` characters (MAX_STRING_LENGTH)."""
    return f'import "{"s" * chars}.arch"\nmodel m(x: 10) = Dense(10 => 10)\n'


def deep_cnn_wrong_dense(convs: int = 400) -> str:
    """A wrong Dense after `convs` convolutions: the hint searching where a pool would fit."""
    return ("model m(x: 8×8×3) = Chain(Conv((3, 3), 3 => 4, pad=1), "
            + "Conv((3, 3), 4 => 4, pad=1), " * convs + "flatten, Dense(7 => 10))\n")


def huge_repeat(n: int = 10 ** 9) -> str:
    """repeat(n, ...) with n far beyond anything unrolled (UNROLL_LIMIT: folded)."""
    return f"model m(x: 10) = Chain(repeat({n}, Dense(10 => 10)))\n"


HOSTILE = {
    "50 MB file of layers": huge_file,
    "name of 10^6 characters": long_name,
    "90,000 errors": many_errors,
    "blocks 10,000 deep": deep_blocks,
    "2^40 layers through blocks": doubling_blocks,
    "brackets 10^5 deep": deep_brackets,
    "number of 10^6 digits": long_number,
    "string of 10^6 characters": long_string,
    "wrong Dense after 400 convolutions": deep_cnn_wrong_dense,
    "repeat(10^9, Dense)": huge_repeat,
}
