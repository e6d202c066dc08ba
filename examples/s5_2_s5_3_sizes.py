"""Book §5.2–§5.4.3: parameter counts and output sizes, checked statically and by PyTorch.

    python examples/s5_2_s5_3_sizes.py

§5.2: the dense sound classifier has about 10 billion parameters, its convolutional
alternatives a few thousand; §5.3.1: the output size formula (11, 7, 5) and 2×2 pooling;
§5.4.3: the answers to the book's questions on model1 and model2. Every number is asserted;
the compiled PyTorch modules must give the same output shapes.
"""
from __future__ import annotations

from pathlib import Path

import torch

import archlang
from archlang.train import torch_input_shape

ROOT = Path(__file__).resolve().parent.parent


def models(name: str) -> dict:
    result = archlang.check(ROOT / f"specs/book/{name}.arch")
    assert result.ok, result.diagnostics
    return {m.name: m for m in result.models}


def sound() -> None:
    m = models("sound")
    dense = m["sound_dense"].params
    assert dense == 10**4 * 10**6 + 10**4 + 10**3 * 10**4 + 10**3 + 1 * 10**3 + 1   # §5.2
    assert [m[n].params for n in ("sound_conv", "sound_conv_stereo", "sound_toeplitz")] == [2_057, 2_465, 2_053]
    print(f"§5.2    sound: dense {dense:,} parameters (≈ 10 billion); convolutional "
          f"{m['sound_conv'].params:,}, stereo {m['sound_conv_stereo'].params:,}")


def sizes() -> None:
    m = models("sizes")
    got = {name: str(r.output_shape) for name, r in m.items()}
    assert got == {"conv_pad2": "11×1", "conv_pad0": "7×1", "conv_pad1_stride2": "5×1",
                   "maxpool_2x2": "16×16×10"}       # the book prints 16×15×10, a typo
    for name, report in m.items():
        _agrees_with_pytorch(report, "specs/book/sizes.arch", name)
    print("§5.3.1  (9 + 2P − 3)/S + 1 = " + ", ".join(got[n] for n in ("conv_pad2", "conv_pad0",
                                                                      "conv_pad1_stride2"))
          + f"; 2×2 max pooling of 32×32×10 gives {got['maxpool_2x2']}")


def book_questions() -> None:
    m1, m2 = models("model1")["model1"], models("model2")["model2"]
    assert m1.params == 178_110
    assert [str(i.out) for i in m2.layers][:4] == ["24×24×8", "12×12×8", "10×10×16", "5×5×16"]
    assert [i.params for i in m2.layers if i.params] == [208, 1_168, 4_010] and m2.params == 5_386
    _agrees_with_pytorch(m2, "specs/book/model2.arch", "model2")
    print(f"§5.4.3  model1 {m1.params:,} parameters; model2 "
          + " → ".join(str(i.out) for i in m2.layers) + f", {m2.params:,} parameters")


def _agrees_with_pytorch(report, spec: str, name: str) -> None:
    module = archlang.load(ROOT / spec, name)
    x = torch.zeros(2, *torch_input_shape(tuple(report.input_shape)))
    with torch.no_grad():
        y = module(x)
    assert tuple(y.shape[1:]) == torch_input_shape(tuple(report.output_shape)), (name, y.shape)
    assert sum(p.numel() for p in module.parameters()) == report.params


def main() -> None:
    sound()
    sizes()
    book_questions()


if __name__ == "__main__":
    main()
