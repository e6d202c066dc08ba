"""specs/zoo/swin_t.arch against torchvision's swin_t: counts, and logits with weights copied.

torchvision's ShiftedWindowAttention calls its qkv and proj through the functional
`shifted_window_attention`, so bench/zoo.py's copy in forward-use order (module hooks) cannot
see them; here the parameters are paired in registration order, which is the forward order
except PatchMerging's (torchvision registers `reduction` before `norm` and applies it after).
Every tensor is first randomised (std 0.05) so that each one matters; the relative-position
indices (buffers) must be equal. Shapes may differ only by unit dims (the spec's 1×1
convolutions for torchvision's per-pixel Linear layers).

torchvision is needed here only, never by archlang:
    PYTHONPATH=. python bench/swin_reference.py   (an environment with torchvision)
"""
from __future__ import annotations

from pathlib import Path

import torch
from torchvision.models import swin_t

import archlang

SPEC = Path(__file__).resolve().parents[1] / "specs/zoo/swin_t.arch"


def in_forward_order(params: list[tuple[str, torch.Tensor]]) -> list[tuple[str, torch.Tensor]]:
    """torchvision's parameters with each PatchMerging's norm (weight, bias) moved before its
    reduction."""
    out, i = [], 0
    while i < len(params):
        if ".reduction." in params[i][0]:
            out += [params[i + 1], params[i + 2], params[i]]
            i += 3
        else:
            out.append(params[i])
            i += 1
    return out


def main() -> None:
    torch.manual_seed(0)
    ref, ours = swin_t().eval(), archlang.load(SPEC).eval()
    theirs, mine = in_forward_order(list(ref.named_parameters())), list(ours.named_parameters())
    assert len(theirs) == len(mine), (len(theirs), len(mine))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for (na, ta), (nb, tb) in zip(theirs, mine):
            if [d for d in ta.shape if d != 1] != [d for d in tb.shape if d != 1]:
                raise SystemExit(f"{na} {tuple(ta.shape)} vs {nb} {tuple(tb.shape)}")
            ta.copy_(torch.randn(ta.shape, generator=g) * 0.05)
            tb.copy_(ta.reshape(tb.shape))
        index = [[b for n, b in m.named_buffers() if n.endswith("relative_position_index")]
                 for m in (ref, ours)]
        assert len(index[0]) == len(index[1]) == 12
        assert all(torch.equal(a, b.view(a.shape)) for a, b in zip(*index))
        x = torch.randn(2, 3, 224, 224, generator=g)
        want, got = ref(x), ours(x)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    print(f"swin_t: check {archlang.check(SPEC).model('swin_t').params:,}, compiled "
          f"{count(ours):,}, torchvision {count(ref):,}; {len(mine)} tensors copied; "
          f"GMACs {archlang.analyze(SPEC).totals.macs / 1e9:.4g}; "
          f"max |Δ logit| {(want - got).abs().max().item():.1e}; |logit| max {want.abs().max().item():.1f}")


if __name__ == "__main__":
    main()
