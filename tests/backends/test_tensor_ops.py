"""permutedims, circshift, Windows and MergeWindows compiled and run, in both PyTorch layouts,
against the same operation written with torch on the spec-order tensor (Julia's semantics),
and the window partitions against torchvision's Swin and MaxViT code, written out."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from archlang.backends.torch.layout import CHANNELS_LAST, assign

from .helpers import compiled, forward_agrees


def spec_order(t: torch.Tensor, layout: str) -> torch.Tensor:
    """A batch as PyTorch holds it (N first) → the spec's dim order (W, H, …, C)."""
    n = t.dim() - 1
    if n < 2:
        return t
    spatial = list(reversed(range(2, n + 1))) if layout != CHANNELS_LAST else list(reversed(range(1, n)))
    return t.permute(0, *spatial, 1 if layout != CHANNELS_LAST else n)


def jl_reshape(t: torch.Tensor, dims) -> torch.Tensor:
    """Julia's column-major reshape of a spec-order batch (N first, kept)."""
    rev = lambda k: (0, *reversed(range(1, k + 1)))  # noqa: E731
    return t.permute(rev(t.dim() - 1)).reshape(t.shape[0], *reversed(dims)).permute(rev(len(dims)))


def run(spec: str, x_spec: torch.Tensor):
    """The model of `spec` on the spec-order batch `x_spec`; its output in spec order too.
    Checks that the compiled module's shapes agree with the static ones."""
    report, gen, module = compiled(spec)
    forward_agrees(report, gen, module)
    n = x_spec.dim() - 1                     # a model's input is channels first: N×C×…×W
    x = x_spec.permute(0, n, *reversed(range(1, n))) if n >= 2 else x_spec
    module.eval()
    with torch.no_grad():
        y = module(x)
    out = report.model.output
    return spec_order(y, assign(report).output(out)), report


PERMUTATIONS = [((2, 1), "7×5"), ((1, 2), "7×5"), ((2, 1, 3), "5×4×3"), ((3, 1, 2), "5×4×3"),
                ((3, 2, 1), "5×4×3"), ((1, 3, 2), "5×4×3"), ((4, 2, 3, 1), "2×3×4×5"),
                ((2, 3, 4, 1), "2×3×4×5")]


@pytest.mark.parametrize("per_token", [False, True], ids=["first", "last"])
@pytest.mark.parametrize("perm,shape", PERMUTATIONS, ids=[f"{p}-{s}" for p, s in PERMUTATIONS])
def test_permutedims_is_julias(perm, shape, per_token):
    dims = [int(d) for d in shape.split("×")]
    x = torch.randn(2, *dims)
    # A LayerNorm first puts the value channels last in the compiled code (per-token layer).
    pre = f"LayerNorm({dims[-1]}), " if per_token else ""
    y, _ = run(f"model m(x: {shape}) = Chain({pre}permutedims({perm}), Dropout(0.0))", x)
    ref = F.layer_norm(x, (dims[-1],)) if per_token else x
    assert torch.allclose(y, ref.permute(0, *perm), atol=1e-6)


SHIFTS = [("circshift((-3, 2))", "8×6×4", (-3, 2), (1, 2)), ("circshift(5)", "7×3", (5,), (1,)),
          ("roll(1; dims=2)", "7×3", (1,), (2,)), ("roll((2, -1); dims=(3, 1))", "5×4×6", (2, -1), (3, 1)),
          ("circshift(3)", "10", (3,), (1,)), ("circshift((1, 1, 1); dims=(3, 2, 4))", "3×4×5×2",
                                                 (1, 1, 1), (3, 2, 4))]


@pytest.mark.parametrize("per_token", [False, True], ids=["first", "last"])
@pytest.mark.parametrize("layer,shape,shifts,dims", SHIFTS, ids=[s[0] for s in SHIFTS])
def test_circshift_is_torch_roll_in_spec_order(layer, shape, shifts, dims, per_token):
    sizes = [int(d) for d in shape.split("×")]
    x = torch.randn(2, *sizes)
    pre = f"LayerNorm({sizes[-1]}), " if per_token else ""
    y, _ = run(f"model m(x: {shape}) = Chain({pre}{layer}, Dropout(0.0))", x)
    ref = F.layer_norm(x, (sizes[-1],)) if per_token else x
    assert torch.allclose(y, torch.roll(ref, shifts, dims), atol=1e-6)


@pytest.mark.parametrize("per_token", [False, True], ids=["first", "last"])
def test_zero_padding_is_f_pad_in_spec_order(per_token):
    # (w_lo, w_hi, h_lo, h_hi) = PyTorch's nn.ZeroPad2d (left, right, top, bottom) of N×C×H×W.
    x = torch.randn(2, 5, 4, 3)                                    # spec order: W×H×C
    pre = "LayerNorm(3), " if per_token else ""
    y, _ = run(f"model m(x: 5×4×3) = Chain({pre}ZeroPad((0, 2, 1, 3)), Dropout(0.0))", x)
    ref = F.layer_norm(x, (3,)) if per_token else x
    assert torch.equal(y, F.pad(ref.permute(0, 3, 2, 1), (0, 2, 1, 3)).permute(0, 3, 2, 1))


def test_circshift_is_julias_direction():
    # Julia: circshift([1, 2, 3, 4], 1) == [4, 1, 2, 3].
    y, _ = run("model m(x: 4) = circshift(1)", torch.tensor([[1.0, 2, 3, 4]]))
    assert y.tolist() == [[4.0, 1, 2, 3]]


def swin_partition(x_nhwc: torch.Tensor, ws: int) -> torch.Tensor:
    """torchvision's shifted_window_attention partition, batch kept apart: N×nW×ws²×C."""
    b, h, w, c = x_nhwc.shape
    x = x_nhwc.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // ws) * (w // ws), ws * ws, c)


def maxvit_grid(x_nchw: torch.Tensor, g: int) -> torch.Tensor:
    """torchvision's MaxViT grid partition: WindowPartition with p = H/g, then SwapAxes(-2, -3):
    N×(p·p)×g²×C."""
    b, c, h, w = x_nchw.shape
    p = h // g
    x = x_nchw.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(b, (h // p) * (w // p), p * p, c).swapaxes(-2, -3)


def nlc_to_spec(t: torch.Tensor) -> torch.Tensor:
    """N×nW×T×C (channels last of the spec's T×nW×C) → spec order."""
    return t.permute(0, 2, 1, 3)


@pytest.mark.parametrize("per_token", [False, True], ids=["first", "last"])
def test_windows_are_swins(per_token):
    x = torch.randn(2, 28, 14, 5)                            # spec W×H×C
    pre = "LayerNorm(5), " if per_token else ""
    y, report = run(f"model m(x: 28×14×5) = Chain({pre}Windows(7), Dropout(0.0))", x)
    assert tuple(report.output_shape) == (49, 8, 5)
    ref = F.layer_norm(x, (5,)) if per_token else x
    nhwc = ref.permute(0, 2, 1, 3)                           # N×H×W×C
    assert torch.allclose(y, nlc_to_spec(swin_partition(nhwc, 7)), atol=1e-6)


def test_rectangular_windows_are_swins_order():
    x = torch.randn(2, 12, 8, 3)
    y, _ = run("model m(x: 12×8×3) = Windows((4, 2))", x)
    # window (a, b) of size 4 in W, 2 in H: token i + 4j, window wb + 3·hb
    ref = torch.empty(2, 8, 12, 3)
    for wb in range(3):
        for hb in range(4):
            for i in range(4):
                for j in range(2):
                    ref[:, i + 4 * j, wb + 3 * hb] = x[:, 4 * wb + i, 2 * hb + j]
    assert torch.equal(y, ref)


@pytest.mark.parametrize("per_token", [False, True], ids=["first", "last"])
def test_grid_is_maxvits(per_token):
    x = torch.randn(2, 28, 28, 4)
    pre = "LayerNorm(4), " if per_token else ""
    y, report = run(f"model m(x: 28×28×4) = Chain({pre}Windows(7; grid=true), Dropout(0.0))", x)
    assert tuple(report.output_shape) == (49, 16, 4)
    ref = F.layer_norm(x, (4,)) if per_token else x
    nchw = ref.permute(0, 3, 2, 1)
    assert torch.allclose(y, nlc_to_spec(maxvit_grid(nchw, 7)), atol=1e-6)


@pytest.mark.parametrize("grid", ["false", "true"])
@pytest.mark.parametrize("shape,window", [("28×14×5", "7"), ("12×8×3", "(4, 2)"), ("12×6", "3"),
                                          ("4×6×8×2", "2")])
def test_merge_windows_undoes_windows(shape, window, grid):
    dims = [int(d) for d in shape.split("×")]
    x = torch.randn(2, *dims)
    out = "(" + ", ".join(map(str, dims[:-1])) + ("," if len(dims) == 2 else "") + ")"
    spec = (f"model m(x: {shape}) = Chain(Windows({window}; grid={grid}), LayerNorm({dims[-1]}), "
            f"MergeWindows({window}, {out}; grid={grid}))")
    y, report = run(spec, x)
    assert tuple(report.output_shape) == tuple(dims)
    assert torch.allclose(y, F.layer_norm(x, (dims[-1],)), atol=1e-6)


def test_partition_written_as_reshape_and_permutedims():
    # The partition spelt out with 5-dim intermediates equals Windows (and Swin).
    x = torch.randn(2, 28, 14, 5)
    y, report = run("""model m(x: 28×14×5) = Chain(
        reshape(7, 4, 7, 2, 5), permutedims((1, 3, 2, 4, 5)), reshape(49, 8, 5))""", x)
    assert [len(r.out) for r in report.infos[1:]] == [5, 5, 3]
    assert torch.equal(y, nlc_to_spec(swin_partition(x.permute(0, 2, 1, 3), 7)))
    assert torch.equal(y, jl_reshape(jl_reshape(x, (7, 4, 7, 2, 5)).permute(0, 1, 3, 2, 4, 5),
                                     (49, 8, 5)))


def test_six_dims_permuted_and_back():
    x = torch.randn(2, 6, 4, 10)
    y, _ = run("""model m(x: 6×4×10) = Chain(reshape(2, 3, 2, 2, 2, 5),
        permutedims((6, 5, 4, 3, 2, 1)), reshape(_, 6), Dropout(0.0))""", x)
    ref = jl_reshape(jl_reshape(x, (2, 3, 2, 2, 2, 5)).permute(0, 6, 5, 4, 3, 2, 1), (40, 6))
    assert torch.equal(y, ref)


def test_shifted_window_round_trip_is_the_identity():
    x = torch.randn(2, 14, 14, 3)
    y, _ = run("""model m(x: 14×14×3) = Chain(circshift((-3, -3)), Windows(7),
        MergeWindows(7, (14, 14)), circshift((3, 3)))""", x)
    assert torch.equal(y, x)


def test_value_first_calls_compile_as_the_layers():
    # The graph body's permutedims(x, (2, 1)) is the same code as the chain's permutedims((2, 1)).
    from conftest import FIXTURES
    report, gen, module = compiled(FIXTURES / "graphs" / "julia_calls.arch")
    forward_agrees(report, gen, module)
    x = torch.randn(2, 196, 512)                              # spec order L×C
    blocks = dict(module.named_modules())
    ln, fc1, fc2 = (blocks[n] for n in ("ln1", "fc1", "fc2"))
    with torch.no_grad():
        y = spec_order(module.eval()(x.transpose(1, 2)), "first")   # an image leaves N×C×H×W
        t = ln(x).transpose(1, 2)
        h = x + fc2(F.gelu(fc1(t))).transpose(1, 2)
        s = torch.roll(jl_reshape(h, (14, 14, 512)), (-3, -3), (1, 2))
        assert torch.allclose(y, torch.relu(s.permute(0, 2, 1, 3)), atol=1e-5)
