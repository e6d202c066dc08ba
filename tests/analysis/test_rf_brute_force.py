"""The receptive-field recurrences against brute force: the input pixels whose gradient with
respect to one output is non-zero must fill exactly the computed box.

The stacks are built by hand in torch (one channel, all-ones weights, max pooling replaced
by mean pooling over the same window) so that no gradient cancels; spatial axes stay in the
spec's order (W, H), which is all a per-dimension recurrence needs.
"""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import archlang  # noqa: E402


def layer_strategy(rank):
    per_dim = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2),
                        st.integers(1, 3))
    return st.tuples(st.sampled_from(["Conv", "MeanPool", "MaxPool"]),
                     st.lists(per_dim, min_size=rank, max_size=rank))


def spec_text(rank, n, layers) -> str:
    items = []
    for kind, dims in layers:
        k = tuple(d[0] for d in dims)
        s = tuple(d[1] for d in dims)
        pad = tuple(v for d in dims for v in (d[2], d[3]))
        dil = tuple(d[4] for d in dims)
        t = lambda v: "(" + ", ".join(map(str, v)) + ("," if len(v) == 1 else "") + ")"  # noqa: E731
        if kind == "Conv":
            items.append(f"Conv({t(k)}, 1 => 1, stride={t(s)}, pad={t(pad)}, dilation={t(dil)})")
        else:
            items.append(f"{kind}({t(k)}, stride={t(s)}, pad={t(pad)})")
    shape = "×".join([str(n)] * rank) + "×1"
    return f"model m(x: {shape}) = Chain({', '.join(items)})"


def forward(x, layers):
    rank = x.dim() - 2
    conv = {1: F.conv1d, 2: F.conv2d}[rank]
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d}[rank]
    for kind, dims in layers:
        k = tuple(d[0] for d in dims)
        s = tuple(d[1] for d in dims)
        dil = tuple(d[4] for d in dims)
        # F.pad takes (lo, hi) pairs from the last dimension backwards.
        x = F.pad(x, [v for d in reversed(dims) for v in (d[2], d[3])])
        if kind == "Conv":
            x = conv(x, torch.ones((1, 1, *k), dtype=x.dtype), stride=s, dilation=dil)
        else:
            x = pool(x, k, stride=s)
    return x


def nonzero_box(x, y, position):
    (grad,) = torch.autograd.grad(y[(0, 0, *position)], x, retain_graph=True)
    idx = grad[0, 0].nonzero()
    if len(idx) == 0:
        return None
    return idx.min(0).values.tolist(), idx.max(0).values.tolist()


def assert_matches(rf, x, y, n):
    out = y.shape[2:]
    for pos in {tuple(0 for _ in out), tuple(o // 2 for o in out), tuple(o - 1 for o in out)}:
        lo = [a + p * j for a, p, j in zip(rf.left, pos, rf.jump)]
        hi = [a + r - 1 for a, r in zip(lo, rf.size)]
        found = nonzero_box(x, y, pos)
        if found is None:
            continue          # this output sees only padding
        got_lo, got_hi = found
        # Every pixel that matters lies in the computed box...
        assert all(g >= max(a, 0) for g, a in zip(got_lo, lo)), (pos, found, lo, hi)
        assert all(g <= min(b, n - 1) for g, b in zip(got_hi, hi)), (pos, found, lo, hi)
        # ...and where the box lies inside the input, its corners matter too.
        for d in range(len(lo)):
            if lo[d] >= 0 and hi[d] <= n - 1:
                assert (got_lo[d], got_hi[d]) == (lo[d], hi[d]), (pos, d, found, lo, hi)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rank=st.sampled_from([1, 2]), data=st.data())
def test_random_stacks_match_brute_force(rank, data):
    layers = data.draw(st.lists(layer_strategy(rank), min_size=1, max_size=4))
    n = 48 if rank == 1 else 28
    text = spec_text(rank, n, layers)
    result = archlang.check(text)
    assume(result.ok)
    a = archlang.analyze(text)
    x = torch.ones((1, 1, *([n] * rank)), dtype=torch.float64, requires_grad=True)
    y = forward(x, layers)
    assert tuple(y.shape[2:]) == tuple(a.report.output_shape.spatial)
    assert_matches(a.layers[-1].rf, x, y, n)


def test_the_union_of_misaligned_branches_matches_brute_force():
    spec = """model m(x: 12×12×1) = Chain(
        Parallel(+, Conv((3, 3), 1 => 1, pad=1), Conv((3, 3), 1 => 1, pad=(2, 0, 1, 1))))"""
    a = archlang.analyze(spec)
    x = torch.ones((1, 1, 12, 12), dtype=torch.float64, requires_grad=True)
    w = torch.ones((1, 1, 3, 3), dtype=torch.float64)
    y = F.conv2d(F.pad(x, [1, 1, 1, 1]), w) + F.conv2d(F.pad(x, [1, 1, 2, 0]), w)
    assert_matches(a.layers[-1].rf, x, y, 12)


def test_model2_matches_brute_force():
    from conftest import SPECS
    a = archlang.analyze(SPECS / "book/model2.arch")
    x = torch.ones((1, 1, 28, 28), dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, torch.ones((1, 1, 5, 5), dtype=torch.float64))
    y = F.avg_pool2d(y, 2)
    y = F.conv2d(y, torch.ones((1, 1, 3, 3), dtype=torch.float64))
    y = F.avg_pool2d(y, 2)
    assert_matches(a.records[4].rf, x, y, 28)


def graph_forward(report, x):
    """The model's graph in torch, one channel, all-ones windows; joins add. Returns the
    tensor of every node up to the last one with spatial dimensions."""
    from archlang.layers.pool import _AdaptivePool, _GlobalPool
    from archlang.layers.structural import Add, Concat, Input
    rank = x.dim() - 2
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[rank]
    adaptive = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}[rank]
    values = {}
    for info in report.infos:
        layer, ins = info.layer, [values.get(i) for i in info.node.inputs]
        if isinstance(layer, Input):
            values[info.node.id] = x
            continue
        if any(v is None for v in ins) or info.out.is_vector or isinstance(layer, _GlobalPool):
            break
        v = ins[0]
        if isinstance(layer, (Add, Concat)):
            v = sum(ins)
        elif isinstance(layer, _AdaptivePool):
            v = adaptive(v, tuple(info.out.spatial))
        elif layer.window() is not None:
            w = layer.window()
            v = F.pad(v, [p for lo, hi in reversed(list(zip(w.pad_lo, layer.pad_hi))) for p in (lo, hi)])
            if layer.family == "conv":
                v = conv(v, torch.ones((1, 1, *w.kernel), dtype=v.dtype), stride=w.stride,
                         dilation=w.dilation)
            else:
                v = pool(v, w.kernel, stride=w.stride)
        values[info.node.id] = v
    return values


@pytest.mark.parametrize("name", ["resnet50", "googlenet", "mobilenet_v2"])
def test_famous_graphs_match_brute_force(name, tmp_path):
    from conftest import SPECS
    # A larger input, so that the middle output's whole field lies inside the image.
    text = (SPECS / f"famous/{name}.arch").read_text().replace("224×224×3", "640×640×1") \
        .replace("3 => ", "1 => ", 1)
    path = tmp_path / f"{name}.arch"
    path.write_text(text)
    import shutil
    if (SPECS / "famous/std").exists():
        shutil.copytree(SPECS / "famous/std", tmp_path / "std")
    a = archlang.analyze(path)
    x = torch.ones((1, 1, 640, 640), dtype=torch.float64, requires_grad=True)
    values = graph_forward(a.report, x)
    last = max(values)
    rf = a.records[last].rf
    assert not rf.whole
    assert_matches(rf, x, values[last], 640)
