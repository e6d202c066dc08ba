"""The compiled attention (backends/torch/tables.py's `Attention`) against the references'.

For each case: archlang compiles a one-layer spec, the reference module is built and gets
the same tensors, outputs are compared (max |difference|), then forward + backward are
timed, alternating ours and theirs, median of --repeats:

- gpt2:  `MultiHeadAttention(768, 12; causal=true)` against Hugging Face's GPT2Attention
         (SDPA implementation; its Conv1D weights are ours transposed), B×L×768.
- vit:   `MultiHeadAttention(768, 12)` against nn.MultiheadAttention (torchvision's ViT).
- swin:  `MultiHeadAttention(96, 3; relative_bias=7)` on 49 tokens × 8×8 windows against
         torchvision's ShiftedWindowAttention (Swin-T's first stage), without and with
         `shift=3` (the map rolled by −3 before the windows are made, and back after).

Needs the reference packages (transformers, torchvision), which archlang never imports:

    PYTHONPATH=. /work/refvenv/bin/python bench/attention.py [--batch 4] [--length 256]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import archlang  # noqa: E402


def ours(spec: str) -> nn.Module:
    """The compiled spec's attention module (the model's own input transpose left out)."""
    return archlang.load(spec).attention1


def timed(module: nn.Module, x: torch.Tensor, call) -> float:
    start = time.perf_counter()
    y = call(module, x)
    y.sum().backward()
    return time.perf_counter() - start


def race(a, b, x, call_a, call_b, repeats: int) -> tuple[float, float]:
    """Median seconds of forward + backward, alternating a and b after a warm-up each."""
    ta, tb = [], []
    for i in range(repeats + 1):
        sa, sb = timed(a, x, call_a), timed(b, x, call_b)
        if i:
            ta.append(sa)
            tb.append(sb)
    return statistics.median(ta), statistics.median(tb)


def gpt2(batch: int, length: int, repeats: int) -> dict:
    from transformers import GPT2Config
    from transformers.models.gpt2.modeling_gpt2 import GPT2Attention
    config = GPT2Config(attn_pdrop=0.0, resid_pdrop=0.0)
    config._attn_implementation = "sdpa"
    ref = GPT2Attention(config, layer_idx=0)
    mine = ours("model a(x: 1024×768) = MultiHeadAttention(768, 12; causal=true)")
    with torch.no_grad():                          # Conv1D holds W as in×out: ours transposed
        ref.c_attn.weight.copy_(mine.in_proj_weight.T)
        ref.c_attn.bias.copy_(mine.in_proj_bias)
        ref.c_proj.weight.copy_(mine.out_proj.weight.T)
        ref.c_proj.bias.copy_(mine.out_proj.bias)
    x = torch.randn(batch, length, 768)
    call_ref = lambda m, t: m(t)[0]                # noqa: E731
    call_mine = lambda m, t: m(t)                  # noqa: E731
    with torch.no_grad():
        diff = (call_mine(mine, x) - call_ref(ref, x)).abs().max().item()
    t_mine, t_ref = race(mine, ref, x, call_mine, call_ref, repeats)
    return {"case": f"gpt2 causal {batch}×{length}×768", "reference": "HF GPT2Attention (sdpa)",
            "max_abs_diff": diff, "ours_s": t_mine, "reference_s": t_ref}


def vit(batch: int, repeats: int) -> dict:
    mine = ours("model a(x: 197×768) = MultiHeadAttention(768, 12)")
    ref = nn.MultiheadAttention(768, 12, batch_first=True)
    ref.load_state_dict(mine.state_dict())
    x = torch.randn(batch, 197, 768)
    call_ref = lambda m, t: m(t, t, t, need_weights=False)[0]       # noqa: E731
    with torch.no_grad():
        diff = (mine(x) - call_ref(ref, x)).abs().max().item()
    t_mine, t_ref = race(mine, ref, x, lambda m, t: m(t), call_ref, repeats)
    return {"case": f"vit {batch}×197×768", "reference": "nn.MultiheadAttention",
            "max_abs_diff": diff, "ours_s": t_mine, "reference_s": t_ref}


def swin(batch: int, repeats: int, shift: int = 0) -> dict:
    from torchvision.models.swin_transformer import ShiftedWindowAttention
    ref = ShiftedWindowAttention(96, [7, 7], [shift, shift], 3)
    option = f", shift={shift}" if shift else ""
    mine = ours(f"model a(x: 49×8×8×96) = MultiHeadAttention(96, 3; relative_bias=7{option})")
    assert torch.equal(ref.relative_position_index, mine.relative_position_index)
    with torch.no_grad():
        ref.relative_position_bias_table.copy_(mine.relative_position_bias_table)
        ref.qkv.weight.copy_(mine.in_proj_weight)
        ref.qkv.bias.copy_(mine.in_proj_bias)
        ref.proj.weight.copy_(mine.out_proj.weight)
        ref.proj.bias.copy_(mine.out_proj.bias)
    image = torch.randn(batch, 56, 56, 96)                        # N×H×W×C, as torchvision's

    def partition(t):
        """N×H×W×C, rolled by −shift → our grid of windows N×8×8×49×C (row-major, as
        torchvision's windows and their tokens)."""
        t = torch.roll(t, (-shift, -shift), (1, 2))
        return t.view(batch, 8, 7, 8, 7, 96).permute(0, 1, 3, 2, 4, 5).reshape(batch, 8, 8, 49, 96)

    def merged(t):
        t = t.view(batch, 8, 8, 7, 7, 96).permute(0, 1, 3, 2, 4, 5).reshape(batch, 56, 56, 96)
        return torch.roll(t, (shift, shift), (1, 2))
    with torch.no_grad():
        diff = (merged(mine(partition(image))) - ref(image)).abs().max().item()
    # Both timed on the partitioned windows: torchvision's module partitions them again.
    windows = partition(image)
    t_mine, t_ref = race(mine, ref, windows, lambda m, t: m(t), lambda m, t: m(merged(t)), repeats)
    return {"case": f"swin window{' shifted' * bool(shift)} {batch}×64×49×96",
            "reference": "torchvision ShiftedWindowAttention",
            "max_abs_diff": diff, "ours_s": t_mine, "reference_s": t_ref}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--length", type=int, default=256)
    p.add_argument("--repeats", type=int, default=10)
    args = p.parse_args()
    torch.manual_seed(0)
    rows = [gpt2(args.batch, args.length, args.repeats), vit(args.batch, args.repeats),
            swin(args.batch, args.repeats), swin(args.batch, args.repeats, shift=3)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for r in rows:
        print(f"{r['case']:<28} vs {r['reference']:<36} max |Δ| {r['max_abs_diff']:.1e}   "
              f"fwd+bwd {r['ours_s'] * 1e3:7.1f} ms vs {r['reference_s'] * 1e3:7.1f} ms "
              f"({r['reference_s'] / r['ours_s']:.2f}× the reference's speed)")
    return 0 if all(r["max_abs_diff"] < 1e-4 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
