"""specs/zoo/swin_t.arch and maxvit_t.arch against torchvision: counts, and logits with every
tensor copied.

torchvision's window attentions call their projections through functional code
(ShiftedWindowAttention's qkv and proj), so bench/zoo.py's copy in forward-use order (module
hooks) cannot see them; here parameters, then buffers, are paired in registration order, which
is the forward order but for Swin's PatchMerging (torchvision registers `reduction` before
`norm` and applies it after). Every parameter and BatchNorm statistic is first randomised
(std 0.05; variances in [0.5, 1.5]) so that each one matters; the relative-position indices
must be equal, not copied. Shapes may differ only by unit dims (the specs' 1×1 convolutions
for torchvision's per-pixel Linear layers).

torchvision is needed here only, never by archlang:
    PYTHONPATH=. python bench/windows_reference.py   (an environment with torchvision)
"""
from __future__ import annotations

from pathlib import Path

import torch
import torchvision.models

import archlang

ZOO = Path(__file__).resolve().parents[1] / "specs/zoo"


def in_forward_order(named: list[tuple[str, torch.Tensor]]) -> list[tuple[str, torch.Tensor]]:
    """Swin's PatchMerging norm (weight, bias) moved before its reduction."""
    out, i = [], 0
    while i < len(named):
        if ".reduction." in named[i][0]:
            out += [named[i + 1], named[i + 2], named[i]]
            i += 3
        else:
            out.append(named[i])
            i += 1
    return out


def copy_all(ref: torch.nn.Module, ours: torch.nn.Module, g: torch.Generator) -> int:
    """Randomise ref's tensors and copy them into ours, pair by pair; the count copied."""
    pairs = list(zip(in_forward_order(list(ref.named_parameters())), ours.named_parameters()))
    pairs += list(zip(ref.named_buffers(), ours.named_buffers()))
    assert len(pairs) == len(list(ref.parameters())) + len(list(ref.buffers()))
    assert len(list(ours.parameters())) + len(list(ours.buffers())) == len(pairs)
    with torch.no_grad():
        for (na, ta), (nb, tb) in pairs:
            if na.endswith("relative_position_index"):        # MaxViT's is T×T, ours flat
                assert torch.equal(ta.flatten(), tb.flatten()), (na, nb)
                continue
            if [d for d in ta.shape if d != 1] != [d for d in tb.shape if d != 1]:
                raise SystemExit(f"{na} {tuple(ta.shape)} vs {nb} {tuple(tb.shape)}")
            if na.endswith("running_var"):
                ta.copy_(torch.rand(ta.shape, generator=g) + 0.5)
            elif ta.is_floating_point():
                ta.copy_(torch.randn(ta.shape, generator=g) * 0.05)
            tb.copy_(ta.reshape(tb.shape))
    return len(pairs)


def compare(name: str) -> None:
    spec = ZOO / f"{name}.arch"
    torch.manual_seed(0)
    ref, ours = getattr(torchvision.models, name)().eval(), archlang.load(spec).eval()
    g = torch.Generator().manual_seed(1)
    copied = copy_all(ref, ours, g)
    x = torch.randn(2, 3, 224, 224, generator=g)
    with torch.no_grad():
        want, got = ref(x), ours(x)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    print(f"| {name} | {archlang.check(spec).model(name).params:,} | {count(ours):,} | "
          f"{count(ref):,} | {archlang.analyze(spec).totals.macs / 1e9:.4g} | {copied} | "
          f"{(want - got).abs().max().item():.1e} | {want.abs().max().item():.1f} |")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, float32 on CPU")
    print("| model | parameters (check) | compiled | torchvision | GMACs (archlang) | tensors "
          "copied | max \\|Δ logit\\| | \\|logit\\| max |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for model in ("swin_t", "maxvit_t"):
        compare(model)
