"""Graph-body specs against torchvision: counts, output shapes and every output's values.

For each spec: build torchvision's model with weights=None (auxiliary heads on), compile the
spec (archlang.load), randomise normalisation statistics and affine parameters so every
tensor matters, copy torchvision's tensors into the compiled module by position (registration
order; a per-model reordering where a learned tensor is registered elsewhere), and compare
every output in eval mode (torchvision's aux heads run in training mode only, so the
comparison of aux outputs runs both in train mode with dropout off).

Layouts agree: archlang's per-token layers hold sequences N×L×C, as torchvision's ViT, so
its class token and position embedding copy as they are.

torchvision is needed here only (e.g. /work/venv-tv/bin/python bench/graphs_torchvision.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import archlang  # noqa: E402

ZOO = ROOT / "specs" / "zoo"


def tensors(module: nn.Module) -> list[tuple[str, torch.Tensor]]:
    out = list(module.named_parameters())
    out += [(n, b) for n, b in module.named_buffers() if not n.endswith("num_batches_tracked")]
    return out


def randomise(module: nn.Module) -> None:
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                if m.weight is not None:
                    m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
        for n, p in module.named_parameters():
            # torchvision's ViT starts its head at zero: the logits would not see the rest.
            if "class_token" in n or "pos_embedding" in n or not p.any():
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)


def copy_by_position(src: list, dst: list) -> None:
    assert len(src) == len(dst), (len(src), len(dst))
    with torch.no_grad():
        for (sn, s), (dn, d) in zip(src, dst):
            assert s.numel() == d.numel(), (sn, tuple(s.shape), dn, tuple(d.shape))
            d.copy_(s.reshape(d.shape))


def vit_order(ts):
    names = [n for n, _ in ts]
    first = [names.index("class_token"), names.index("encoder.pos_embedding")]
    return [ts[i] for i in first] + [t for i, t in enumerate(ts) if i not in first]


def same_order(ts):
    return ts


MODELS = {
    # name: (torchvision builder, reordering of its tensors, input size, aux heads)
    "vit_b_16": (lambda tv: tv.models.vit_b_16(weights=None), vit_order, (224, 224), False),
    "googlenet_aux": (lambda tv: tv.models.googlenet(weights=None, aux_logits=True,
                                                      init_weights=True), same_order, (224, 224), True),
    "inception_v3_aux": (lambda tv: tv.models.inception_v3(weights=None, aux_logits=True,
                                                            init_weights=True), same_order,
                         (299, 299), True),
    "fcn_resnet50_aux": (lambda tv: tv.models.segmentation.fcn_resnet50(
        weights=None, weights_backbone=None, aux_loss=True), same_order, (520, 520), False),
}


def compare(name: str, batch: int = 2) -> float:
    import torchvision
    build, order, size, aux = MODELS[name]
    torch.manual_seed(0)
    ref = build(torchvision)
    result = archlang.check(ZOO / f"{name}.arch")
    assert result.ok, [str(d) for d in result.diagnostics]
    report = result.model()
    ours = archlang.load(ZOO / f"{name}.arch")
    randomise(ref)
    n_ref = sum(p.numel() for p in ref.parameters())
    n_ours = sum(p.numel() for p in ours.parameters())
    assert n_ref == n_ours == report.params, (n_ref, n_ours, report.params)
    copy_by_position(order(tensors(ref)), tensors(ours))
    x = torch.randn(batch, 3, *size)
    ref.eval(), ours.eval()
    if aux:
        # torchvision runs its aux heads only in training mode: the top module says so while
        # every layer (BatchNorm, Dropout) stays in eval mode.
        ref.training = True
    with torch.no_grad():
        want, got = ref(x), ours(x)
    if isinstance(want, dict):                      # segmentation: {"out": …, "aux": …}
        want = tuple(want.values())
    want = tuple(want) if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    diff = max((a - b).abs().max().item() for a, b in zip(want, got))
    print(f"{name}: {n_ours:,} parameters (torchvision {n_ref:,}); outputs "
          f"{', '.join(f'{n} {tuple(g.shape)}' for (n, _), g in zip(report.outputs, got))}; "
          f"max |difference| {diff:.2e}")
    return diff


if __name__ == "__main__":
    worst = max(compare(n) for n in (sys.argv[1:] or MODELS))
    sys.exit(0 if worst <= 1e-4 else 1)
