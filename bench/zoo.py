"""The zoo against torchvision: counts, output shapes, MACs and logits of every specs/zoo spec.

For each spec: build torchvision's model with weights=None (LeNet-5 and U-Net, which
torchvision lacks, from the plain PyTorch modules below), compile the spec (archlang.load),
randomise every normalisation layer's statistics and affine parameters and every constant
parameter (a zero bias, a BatchNorm's γ = 1, a layer scale) so that every tensor matters,
copy torchvision's tensors into the compiled module by position, and compare in eval mode:

- parameters: archlang check's count, the compiled module's and torchvision's (equal);
- output shape: the spec's, the compiled module's and torchvision's;
- MACs: archlang's analysis against torchvision's published GFLOPS (`_ops` of the weights'
  meta, one MAC per "FLOP" there) within 1%; PyTorch's FLOP counter on the reference
  (FLOPs / 2) is shown beside it and is the bar where nothing comparable is published;
- logits on a random batch: max |difference| ≤ 1e-4 in float32.

"By position" means in the order the forward pass first uses each module that holds
tensors (its parameters, then its buffers), for both models. That is registration order
except where a module owns a tensor it uses after its children: ConvNeXt's layer scale,
registered on the block before the block's layers and applied after them.

Layout differences (the only reshapes): a tensor may differ from its counterpart in unit
dimensions only, as a Linear weight [out, in] applied per pixel (ConvNeXt) is a 1×1
convolution's [out, in, 1, 1].

torchvision is needed here only; it is no dependency of archlang or of its tests
(tests/test_zoo.py has the numbers this script prints).

    python bench/zoo.py [--only NAME ...] [--batch 2] [--no-doc]
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import archlang  # noqa: E402

ZOO = ROOT / "specs" / "zoo"
DOC = ROOT / "docs" / "zoo.md"
TOLERANCE = 1e-4          # max |logit difference| in float32
MAC_TOLERANCE = 0.01      # relative, against the published GFLOPS


class LeNet5(nn.Module):
    """LeNet-5 as specs/zoo/lenet5.arch reads the paper (tanh, average pooling)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Linear(400, 120)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, 10)

    def forward(self, x):
        x = nn.functional.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = nn.functional.avg_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.tanh(self.c5(x.flatten(1)))
        return self.out(torch.tanh(self.f6(x)))


class UNet(nn.Module):
    """Ronneberger et al.'s U-Net with padded 3×3 convolutions and no batch norm, written the
    usual PyTorch way (an encoder list, a decoder list, skips concatenated before the upsampled
    features)."""

    def __init__(self, cin=1, classes=2, widths=(64, 128, 256, 512, 1024)):
        super().__init__()

        def double(a, b):
            return nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(b, b, 3, padding=1), nn.ReLU())

        ins = (cin, *widths[:-1])
        self.down = nn.ModuleList(double(a, b) for a, b in zip(ins, widths))
        self.up = nn.ModuleList(nn.ConvTranspose2d(w, w // 2, 2, stride=2) for w in widths[:0:-1])
        self.dec = nn.ModuleList(double(w, w // 2) for w in widths[:0:-1])
        self.head = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(nn.functional.max_pool2d(x, 2) if i else x)
            skips.append(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips[:-1])):
            x = dec(torch.cat([skip, up(x)], dim=1))
        return self.head(x)


@dataclass
class Entry:
    """One zoo model: its spec and how to build the reference in PyTorch."""

    name: str
    build: Callable[[], nn.Module]
    weights: str | None = None        # torchvision weights enum whose meta has _ops
    note: str = ""
    published_is_same: bool = True    # False: the published _ops count a part not written here
    output: Callable = field(default=lambda y: y)   # the logits from the reference's output


def tv(name: str, module: str = "", **kwargs) -> Callable[[], nn.Module]:
    def build():
        import torchvision
        space = getattr(torchvision.models, module) if module else torchvision.models
        return getattr(space, name)(weights=None, **kwargs)
    return build


def entries() -> list[Entry]:
    return [
        Entry("lenet5", LeNet5, note="torchvision has no LeNet: a PyTorch module from the paper"),
        Entry("vgg11", tv("vgg11"), "VGG11_Weights"),
        Entry("vgg16_bn", tv("vgg16_bn"), "VGG16_BN_Weights"),
        Entry("resnext50_32x4d", tv("resnext50_32x4d"), "ResNeXt50_32X4D_Weights"),
        Entry("wide_resnet50_2", tv("wide_resnet50_2"), "Wide_ResNet50_2_Weights"),
        Entry("densenet121", tv("densenet121"), "DenseNet121_Weights"),
        Entry("squeezenet1_0", tv("squeezenet1_0"), "SqueezeNet1_0_Weights"),
        Entry("squeezenet1_1", tv("squeezenet1_1"), "SqueezeNet1_1_Weights"),
        Entry("mnasnet1_0", tv("mnasnet1_0"), "MNASNet1_0_Weights"),
        Entry("inception_v3", tv("inception_v3", aux_logits=False, init_weights=True),
              "Inception_V3_Weights",
              note="aux_logits=False: torchvision's 27,161,264 parameters include the "
                   "auxiliary classifier, which runs only in training"),
        Entry("mobilenet_v3_small", tv("mobilenet_v3_small"), "MobileNet_V3_Small_Weights"),
        Entry("mobilenet_v3_large", tv("mobilenet_v3_large"), "MobileNet_V3_Large_Weights"),
        Entry("efficientnet_b0", tv("efficientnet_b0"), "EfficientNet_B0_Weights"),
        Entry("efficientnet_b1", tv("efficientnet_b1"), "EfficientNet_B1_Weights"),
        Entry("efficientnet_b2", tv("efficientnet_b2"), "EfficientNet_B2_Weights"),
        Entry("efficientnet_b3", tv("efficientnet_b3"), "EfficientNet_B3_Weights"),
        Entry("regnet_y_400mf", tv("regnet_y_400mf"), "RegNet_Y_400MF_Weights"),
        Entry("shufflenet_v2_x1_0", tv("shufflenet_v2_x1_0"), "ShuffleNet_V2_X1_0_Weights"),
        Entry("convnext_tiny", tv("convnext_tiny"), "ConvNeXt_Tiny_Weights"),
        Entry("r3d_18", tv("r3d_18", "video"), "R3D_18_Weights"),
        Entry("fcn_resnet50", tv("fcn_resnet50", "segmentation", weights_backbone=None,
                                 aux_loss=False), "FCN_ResNet50_Weights",
              published_is_same=False,
              note="aux_loss=False; the published GFLOPS and 35,322,218 parameters include the "
                   "auxiliary FCN head (run in eval too), so MACs are compared with PyTorch's "
                   "FLOP counter on the model without it",
              output=lambda y: y["out"]),
        Entry("unet", UNet, note="torchvision has no U-Net: a PyTorch module from the paper"),
    ]


def published_macs(entry: Entry) -> int | None:
    """torchvision's published GFLOPS (weights meta `_ops`, in multiply-accumulates) × 10⁹."""
    if entry.weights is None:
        return None
    import torchvision
    space = torchvision.models
    for sub in ("video", "segmentation"):
        space_sub = getattr(torchvision.models, sub)
        if hasattr(space_sub, entry.weights):
            space = space_sub
    weights = getattr(space, entry.weights)
    return round(next(iter(weights)).meta["_ops"] * 1e9)


def counted_macs(model: nn.Module, x: torch.Tensor) -> int:
    """PyTorch's FLOP counter on one sample: FLOPs / 2 (it counts a MAC as 2)."""
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x[:1])
    return counter.get_total_flops() // 2


def randomise(model: nn.Module, x: torch.Tensor, generator: torch.Generator) -> None:
    """Give every normalisation layer and every constant tensor random values.

    Affine parameters and constant tensors (zeros, ones, 10⁻⁶) are drawn at random. Each
    BatchNorm's running statistics are set, in one eval-mode forward pass of `x`, to the
    statistics of that layer's own input perturbed at random (mean + 0.1·σ·N(0, 1), variance
    × U(0.5, 1.5)). So every statistic matters, yet the activations stay of order one however
    deep the network: statistics drawn blindly, or perturbed after a training-mode pass,
    compound layer after layer (Inception v3's logits reach 10³ to 10¹⁴) and would make the
    10⁻⁴ bar on the logits meaningless.
    """
    norms = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)

    def calibrate(module, args):
        h = args[0]
        dims = [d for d in range(h.dim()) if d != 1]
        var = h.var(dims, unbiased=False).clamp_min(1e-4)
        module.running_mean.copy_(h.mean(dims) + 0.1 * var.sqrt() * torch.randn(var.shape, generator=generator))
        module.running_var.copy_(var * (0.5 + torch.rand(var.shape, generator=generator)))

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, norms) and module.weight is not None:
                module.weight.copy_(0.5 + torch.rand(module.weight.shape, generator=generator))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=generator))
        for p in model.parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):     # zeros, ones, 1e-6
                p.copy_(p.flatten()[0] + 0.1 * torch.randn(p.shape, generator=generator))
        hooks = [m.register_forward_pre_hook(calibrate) for m in model.modules()
                 if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
        try:
            model.eval()(x)
        finally:
            for h in hooks:
                h.remove()


def tensors_in_use_order(model: nn.Module, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """(name, tensor) of every parameter and buffer, ordered by the first forward use of the
    module that holds it (a module's own tensors after its children's: the post-hook)."""
    names = {m: n for n, m in model.named_modules()}
    order: list[nn.Module] = []

    def seen(module, args, output):
        if module not in order and (module._parameters or module._buffers):
            order.append(module)

    hooks = [m.register_forward_hook(seen) for m in model.modules()]
    try:
        with torch.no_grad():
            model(x[:1])
    finally:
        for h in hooks:
            h.remove()
    out = []
    for module in order:
        for kind in (module._parameters, module._buffers):
            out += [(f"{names[module]}.{k}", t) for k, t in kind.items() if t is not None]
    unused = {id(t) for t in [*model.parameters(), *model.buffers()]} - {id(t) for _, t in out}
    if unused:
        raise RuntimeError(f"{len(unused)} tensors unused in the forward pass")
    return out


def copy_by_position(src: nn.Module, dst: nn.Module, x: torch.Tensor) -> int:
    """Copy src's tensors into dst, position by position; the count copied."""
    a, b = tensors_in_use_order(src, x), tensors_in_use_order(dst, x)
    if len(a) != len(b):
        raise RuntimeError(f"torchvision has {len(a)} tensors, the compiled module {len(b)}")
    with torch.no_grad():
        for (na, ta), (nb, tb) in zip(a, b):
            squeeze = [d for d in ta.shape if d != 1] == [d for d in tb.shape if d != 1]
            if ta.shape != tb.shape and not squeeze:
                raise RuntimeError(f"{na} {tuple(ta.shape)} vs {nb} {tuple(tb.shape)}")
            tb.copy_(ta.reshape(tb.shape))
    return len(a)


def torch_shape(spec_shape) -> tuple[int, ...]:
    """The spec's W×H×(D×)C as PyTorch's C×(D×)H×W."""
    dims = tuple(spec_shape)
    return dims if len(dims) == 1 else (dims[-1], *reversed(dims[:-1]))


def compare(entry: Entry, batch: int) -> dict:
    start = time.perf_counter()
    spec = ZOO / f"{entry.name}.arch"
    result = archlang.check(spec)
    if not result.ok:
        raise archlang.SpecError(result.errors)
    report = result.model(entry.name)
    macs = archlang.analyze(spec).totals.macs
    torch.manual_seed(0)
    ref = entry.build().eval()
    ours = archlang.load(spec).eval()
    generator = torch.Generator().manual_seed(1)
    x = torch.randn((batch, *torch_shape(report.input_shape)), generator=generator)
    randomise(ref, x, generator)
    with torch.no_grad():
        before = ours(x)      # with its own initialisation: must differ, or the check is void
    copied = copy_by_position(ref, ours, x)
    with torch.no_grad():
        want = entry.output(ref(x))
        got = ours(x)
    published = published_macs(entry)
    counted = counted_macs(ref, x)
    reference_macs = published if published is not None and entry.published_is_same else counted
    expected_shape = tuple(report.output_shape)
    row = {
        "model": entry.name, "params_check": report.params,
        "params_compiled": sum(p.numel() for p in ours.parameters()),
        "params_reference": sum(p.numel() for p in ref.parameters()),
        "output": "×".join(map(str, expected_shape)),
        "output_ok": tuple(got.shape[1:]) == torch_shape(expected_shape) == tuple(want.shape[1:]),
        "macs": macs, "published_macs": published, "counted_macs": counted,
        "mac_error": macs / reference_macs - 1, "tensors": copied,
        "max_abs_diff": (got - want).abs().max().item(), "logit_scale": want.abs().max().item(),
        "diff_before_copy": (before - want).abs().max().item(),
        "seconds": time.perf_counter() - start, "note": entry.note,
    }
    row["ok"] = (row["params_check"] == row["params_compiled"] == row["params_reference"]
                 and row["output_ok"] and abs(row["mac_error"]) <= MAC_TOLERANCE
                 and row["max_abs_diff"] <= TOLERANCE < row["diff_before_copy"])
    return row


def g(n: int | None) -> str:
    return "—" if n is None else f"{n / 1e9:.4g}"


def table(rows: list[dict]) -> str:
    lines = ["| model | parameters | output | GMACs (archlang) | GFLOPS published | "
             "GMACs counted | MAC error | max \\|Δ logit\\| | \\|logit\\| max | tensors | ok |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | error: {r['error']} | | | | | | | | | ✗ |")
            continue
        params = f"{r['params_check']:,}"
        if not r["params_check"] == r["params_compiled"] == r["params_reference"]:
            params += f" (compiled {r['params_compiled']:,}, reference {r['params_reference']:,})"
        lines.append(
            f"| {r['model']} | {params} | {r['output']} | {g(r['macs'])} | "
            f"{g(r['published_macs'])} | {g(r['counted_macs'])} | {100 * r['mac_error']:+.3f}% | "
            f"{r['max_abs_diff']:.1e} | {r['logit_scale']:.1f} | {r['tensors']} | "
            f"{'✓' if r['ok'] else '✗'} |")
    return "\n".join(lines)


def machine() -> str:
    import torchvision
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {torch.get_num_threads()} threads; Python {platform.python_version()}, "
            f"torch {torch.__version__}, torchvision {torchvision.__version__}, float32 on CPU")


def write_doc(rows: list[dict], batch: int) -> None:
    notes = "\n".join(f"- **{r['model']}**: {r['note']}." for r in rows if r.get("note"))
    DOC.write_text(f"""# The zoo: torchvision's convolutional networks as specs

`specs/zoo/` holds a spec for each of torchvision's convolutional classification networks
(file names are torchvision's function names), FCN-ResNet50 for segmentation, and two
classics torchvision lacks: LeNet-5 and U-Net. Each is checked against torchvision by
[`bench/zoo.py`](../bench/zoo.py): torchvision's model is built with `weights=None`, its
normalisation statistics and constant parameters are randomised (so that every tensor
matters), its tensors are copied into the compiled spec by position, and both are run in
eval mode on a random batch of {batch}. The table is that script's output;
`tests/test_zoo.py` asserts the same counts, shapes and MACs without torchvision.

- **parameters**: `archlang check`, the compiled module and the reference agree (one number
  shown; all three when they differ).
- **GMACs (archlang)**: multiply-accumulates of one sample, `archlang check`'s MACs.
- **GFLOPS published**: torchvision's `weights.meta["_ops"]`, which counts one
  multiply-accumulate as one operation. **MAC error** is against it (or, where it is
  missing or does not describe the same network, against **GMACs counted**: PyTorch's
  `torch.utils.flop_counter` on the reference, FLOPs ÷ 2). The bar is 1%.
- **max |Δ logit|**: the largest difference between the compiled spec's outputs and the
  reference's, float32; the bar is 10⁻⁴. **|logit| max** shows the outputs' scale.
- **tensors**: parameters and buffers copied (BatchNorm's running statistics and counter
  included).

Machine: {machine()}.

{table(rows)}

Notes:

{notes}
- **By position**: tensors are paired in the order the forward pass first uses the module
  holding them (its parameters, then its buffers), in both models. That is registration
  order, except ConvNeXt's layer scale, which torchvision registers on the block before the
  block's layers and applies after them.
- **Layouts**: the only reshapes drop or add unit dimensions: torchvision's ConvNeXt applies
  its pointwise layers as `nn.Linear` on channels-last tensors (weight `[out, in]`), the
  spec as 1×1 convolutions (`[out, in, 1, 1]`), the same map.

## The blocks (`import "std/NAME.arch"`)

| file | blocks | used by |
| --- | --- | --- |
| `std/resnext.arch` | `GroupedBottleneck(c, mid, g=1, d=1)`, `GroupedBottleneckDown(cin, mid, cout, s, g=1, d=1)`: grouped and dilated 3×3 | ResNeXt-50, FCN-ResNet50 |
| `std/densenet.arch` | `DenseLayer(growth, bn_size=4)`, `Transition(cout)` | DenseNet-121 |
| `std/squeezenet.arch` | `Fire(s, e1, e3)` | SqueezeNet 1.0, 1.1 |
| `std/mnasnet.arch` | `MnasBottleneck(cin, cout, k, t, s)`, `MnasResidual(c, k, t)`, `MnasStack(cin, cout, k, s, t, n)` | MNASNet |
| `std/inception_v3.arch` | `BasicConv(cout, k, s=1, p=0)`, `InceptionA(pf)`, `InceptionB()`, `InceptionC(c7)`, `InceptionD()`, `InceptionE()` | Inception v3 |
| `std/squeeze_excitation.arch` | `SqueezeExcitation(c, sq, act=relu, gate=sigmoid)`: `SkipConnection(gate, *)` | the next three |
| `std/mobilenetv3.arch` | `Bneck`, `BneckSE`, `BneckNoExpand`, `BneckSENoExpand` and their `…Res` forms (squeeze width `make_divisible(exp // 4, 8)`) | MobileNetV3 small, large |
| `std/efficientnet.arch` | `MBConv(cin, cout, k, t, s)`, `MBConvNoExpand`, their `…Residual` forms, `MBStage(cin, cout, k, s, t, n, w=1.0, d=1.0)` (widths `make_divisible(c * w, 8)`, `ceil(n * d)` blocks), `MBStageNoExpand`, `EfficientNet(w, d, p)` | EfficientNet-B0 … B3 |
| `std/regnet.arch` | `RegNetYTransform`, `RegNetYBlock(c, gw)`, `RegNetYBlockDown(cin, c, s, gw)`, `RegNetYStage` | RegNetY-400MF |
| `std/shufflenet.arch` | `ShuffleBranch`, `ShuffleUnit(c)` (`Chunk` split), `ShuffleDown(cin, cout)`, `ShuffleStage` | ShuffleNetV2 |
| `std/convnext.arch` | `CNBlock(c)` (exact `GELU()`, `Scale` layer scale), `CNDownsample(cin, cout)` | ConvNeXt-T |

What the language still lacks for these networks, and how the specs get by:

- `repeat(0, B)` is an error, so a stage of one block is written as the block alone
  (MNASNet's last stack, EfficientNet's first and last stages, RegNetY's first stage).
- A block cannot branch on its arguments (no conditionals), so MobileNetV3's bneck, whose
  expansion and squeeze-excitation depend on its configuration, is four blocks. Widths are
  computed as torchvision computes them, with the integer functions of
  [the language](language.md#integer-functions): MobileNetV3's squeeze
  `make_divisible(exp // 4, 8)`, EfficientNet's `max(1, cin // 4)`, and B1–B3's scaled
  widths `make_divisible(c * w, 8)` and depths `ceil(n * d)`.
- Auxiliary heads need a second output (Inception v3's `AuxLogits`, FCN's `aux_classifier`):
  left out; the counts above are torchvision's with `aux_logits=False` / `aux_loss=False`.

Reproduce (torchvision in its own environment; archlang never needs it):

```
python3 -m venv /tmp/venv-tv
/tmp/venv-tv/bin/pip install torch==2.14.1 torchvision==0.29.1 lark numpy networkx graphviz tqdm matplotlib scikit-learn
PYTHONPATH=. /tmp/venv-tv/bin/python bench/zoo.py
```
""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="model names (default: the whole zoo)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/zoo.md")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    rows = []
    for entry in entries():
        if args.only and entry.name not in args.only:
            continue
        if not (ZOO / f"{entry.name}.arch").exists():
            print(f"{entry.name}: no spec yet", flush=True)
            continue
        try:
            row = compare(entry, args.batch)
        except Exception as err:  # noqa: BLE001 — one failing model must not hide the others
            row = {"model": entry.name, "error": f"{type(err).__name__}: {err}", "ok": False}
        rows.append(row)
        print({k: v for k, v in row.items() if k != "note"}, flush=True)
    print(table(rows))
    if not args.no_doc and not args.only:
        write_doc(rows, args.batch)
    sys.exit(0 if all(r["ok"] for r in rows) else 1)


if __name__ == "__main__":
    main()
