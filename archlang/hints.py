"""Help for a Dense layer whose input size is wrong: what change upstream would make it fit.

Re-runs the shape rules along the chain that feeds the Dense with a few plausible edits
(a 2×2 max pool after some convolutions; `pad` keeping the size on the convolutions) and
suggests the smallest one that gives the size the Dense layer declares.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations, islice

from .layers import kinds
from .layers.args import ACTIVATIONS
from .layers.base import ShapeProblem
from .layers.conv import Conv
from .layers.linear import Dense
from .layers.pool import MaxPool
from .layers.structural import Flatten

# Bounds on the search, so that one hint costs a few thousand shape-rule runs however long
# the chain and however many the errors (tests/test_growth.py).
MAX_CHAIN = 256                  # layers walked back from the Dense
MAX_RUNS = 4_000                 # layer shape rules run while trying pools (0.3 s)


def _chain_to(infos, node):
    """The linear path of single-input nodes from the model input to `node` (exclusive)."""
    path = []
    cur = node.inputs[0]
    while True:
        info = infos[cur]
        if info.index == 0:
            return list(reversed(path))
        if len(info.node.inputs) != 1 or info.layer is None or len(path) == MAX_CHAIN:
            return None
        path.append(info)
        cur = info.node.inputs[0]


def _infer(layer, x):
    """The output of `layer` on `x`, its `_` sizes resolved against `x` (not the shape it saw
    in the model: an edited chain feeds it something else)."""
    return layer.resolve([x]).infer([x])


def _run(start, layers):
    x = start
    try:
        for layer in layers:
            x = _infer(layer, x)
    except ShapeProblem:
        return None
    return x


def dense_input_help(model, infos, node, search: bool = True) -> str | None:
    """The help of an E0301: an edit upstream that gives the declared size, if one is found
    within MAX_RUNS shape-rule runs (`search=False`: none is tried)."""
    dense = infos[node.id].layer
    want, got = dense.c_in, infos[node.inputs[0]].out[0]
    plain = f"or write Dense({got} => {dense.c_out})"
    path = _chain_to(infos, node) if isinstance(infos[node.inputs[0]].layer, Flatten) else None
    if not path or not isinstance(path[-1].layer, Flatten):
        return f"the previous layer gives {got:,} values; {plain}"
    layers = [i.layer for i in path]
    start = model.input_shape
    convs = [k for k, layer in enumerate(layers) if isinstance(layer, Conv)] if search else []
    pool = MaxPool(window_=(2, 2), stride=(2, 2), pad=(0,), pad_lo=(0, 0), pad_hi=(0, 0))
    # 1. 2×2 max pooling after some of the convolutions (fewest insertions first), as many
    #    choices as MAX_RUNS allows: C(40, 4) choices would take minutes.
    choices = (c for n in range(1, min(len(convs), 4) + 1) for c in combinations(convs, n))
    for chosen in islice(choices, MAX_RUNS // len(layers)):
        n = len(chosen)
        edited = []
        for k, layer in enumerate(layers):
            edited.append(layer)
            if k in chosen and layer.rank == 2:
                edited.append(pool)
        out = _run(start, edited[:-1])
        if out is not None and out.numel == want:
            where = ("after each convolution" if len(chosen) == len(convs) else
                     "after layer" + ("s " if n > 1 else " ") +
                     " and ".join(str(path[k].index) for k in chosen))
            return f"a MaxPool((2, 2)) {where} gives {out} = {want:,}; {plain}"
    # 2. padding that keeps the size on every convolution.
    edited = [l.replace(pad=(d := tuple((k - 1) // 2 for k in l.kernel)), pad_lo=d, pad_hi=d)
              if isinstance(l, Conv) and all(k % 2 for k in l.kernel) else l for l in layers]
    out = _run(start, edited[:-1]) if search else None
    if out is not None and out.numel == want:
        ks = sorted({"×".join(map(str, l.kernel)) for l in layers if isinstance(l, Conv)})
        pads = sorted({(k - 1) // 2 for l in layers if isinstance(l, Conv) for k in l.kernel})
        pad = f"pad={pads[0]}" if len(pads) == 1 else "pad=SamePad()"
        return f"{pad} on the {', '.join(ks)} convolutions gives {out} = {want:,}; {plain}"
    pre = infos[path[-1].node.inputs[0]].out
    return f"the flattened {pre} has {got:,} values; {plain}"


def _linear_layers(model, infos):
    """All layers in order when the model is one chain (every node has one input), else None."""
    nodes = model.graph.nodes[1:]
    if any(len(n.inputs) != 1 or n.layer is None for n in nodes):
        return None
    return [n.layer for n in nodes]


def _same_padded(layer):
    if isinstance(layer, Conv) and not any(layer.pad_lo + layer.pad_hi) and all(k % 2 for k in layer.kernel):
        d = tuple((k - 1) // 2 for k in layer.kernel)
        return layer.replace(pad=d, pad_lo=d, pad_hi=d)
    return layer


def window_help(model, infos, node):
    """For a window that no longer fits: would size-preserving padding make the model check?

    A listing printed without padding (the book's VGG19) shrinks its image to nothing; with
    pad=(k−1)/2 on the odd convolutions it reaches its Dense layer at the declared size.
    Returns (help text, the Dense node it reaches) or None.
    """
    layers = _linear_layers(model, infos)
    if layers is None:
        return None
    x = model.input_shape
    flattened = None
    for k, layer in enumerate(layers):
        edited = _same_padded(layer)
        if isinstance(edited, Dense) and flattened is not None:
            # `Dense(_ => n)` declares no size to reach: nothing to suggest.
            if edited.c_in is not None and edited.c_in == x[0]:
                ks = sorted({"×".join(map(str, l.kernel)) for l in layers if _same_padded(l) is not l})
                pads = sorted({(kk - 1) // 2 for l in layers if _same_padded(l) is not l for kk in l.kernel})
                pad = f"pad={pads[0]}" if len(pads) == 1 else "pad=SamePad()"
                text = (f"the convolutions have no padding, so the image shrinks to nothing; {pad} on "
                        f"the {', '.join(ks)} convolutions keeps their sizes and gives "
                        f"{flattened} = {x[0]:,} at `{layer}`")
                return text, model.graph.nodes[k + 1]
            return None
        try:
            before = x
            x = _infer(edited, x)
        except ShapeProblem:
            return None
        if isinstance(edited, Flatten):
            flattened = before
    return None


@lru_cache(maxsize=1)
def known_layers() -> str:
    """The help of an unknown layer: every layer kind and activation, from the registry (so a
    new layer is listed the day it is registered)."""
    names = [k.kind for k in kinds() if k.kind != "activation"]
    return (f"layers: {', '.join(names)}; activations: {', '.join(ACTIVATIONS)}; or define it "
            "with `block`")


def channels_first_help(model, problem_code: str) -> str | None:
    """`x: 1×28×28` (PyTorch's C×H×W) read as W×H×C is 28 channels of 1×28 pixels: the first
    convolution then fails. Say so, instead of suggesting padding."""
    shape = model.input_shape
    if problem_code not in ("E0300", "E0302") or shape is None or shape.is_vector or shape.rank < 2:
        return None
    dims = tuple(shape)
    if not (dims[0] <= 4 < dims[-1]):
        return None
    flipped = "×".join(map(str, dims[1:] + dims[:1]))
    return (f"shapes are written W×H×C, channels last (Flux's order); did you write channels "
            f"first? PyTorch's {'×'.join(map(str, dims))} is written `{model.input_name}: {flipped}`")
