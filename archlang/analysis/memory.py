"""Memory: bytes per element of each dtype, the forward pass's peak, a training estimate.

The model (documented in docs/analysis.md): every layer's output is its own tensor of
`batch × numel` elements (no in-place operations, no views), so figures are upper bounds of
what an eager framework allocates, and exclude workspace, allocator caching and the CUDA context.
"""
from __future__ import annotations

DTYPES: dict[str, int] = {
    "fp32": 4, "float32": 4, "float": 4,
    "fp16": 2, "float16": 2, "half": 2,
    "bf16": 2, "bfloat16": 2,
    "fp64": 8, "float64": 8, "double": 8,
    "int8": 1,
}
CANONICAL = {"float32": "fp32", "float": "fp32", "float16": "fp16", "half": "fp16",
             "bfloat16": "bf16", "float64": "fp64", "double": "fp64"}

# Adam keeps two moments per parameter (Kingma & Ba 2015); weights and gradients are one
# copy each: 1 + 1 + 2 copies of the parameters while training.
TRAINING_PARAM_COPIES = 4


def dtype_bytes(dtype: str) -> tuple[str, int]:
    """(canonical name, bytes per element); ValueError naming the choices otherwise."""
    key = dtype.lower()
    if key not in DTYPES:
        raise ValueError(f"unknown dtype `{dtype}`; choose one of fp32, fp16, bf16, fp64, int8")
    return CANONICAL.get(key, key), DTYPES[key]


def peak_forward(sizes: list[int], inputs: list[tuple[int, ...]], keep: set[int]) -> tuple[int, int]:
    """The most bytes alive at once in an inference pass, and the node at which it happens.

    Nodes run in order (their ids are a topological order). A tensor is allocated when its
    node runs and freed once every consumer has run; the nodes in `keep` (the model's output)
    are never freed. While a node runs, its inputs and its output are alive together.
    """
    uses = [0] * len(sizes)
    for ins in inputs:
        for i in ins:
            uses[i] += 1
    live = peak = 0
    at = 0
    for n, size in enumerate(sizes):
        live += size
        if live > peak:
            peak, at = live, n
        for i in inputs[n]:
            uses[i] -= 1
            if uses[i] == 0 and i not in keep:
                live -= sizes[i]
        if uses[n] == 0 and n not in keep:
            live -= size          # an output nobody reads (a dead branch)
    return peak, at
