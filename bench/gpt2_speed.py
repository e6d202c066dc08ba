"""Forward + backward of the compiled GPT-2 (specs/zoo/gpt2.arch) against transformers'
GPT2LMHeadModel with the same weights, on CPU.

Both in training mode (dropout as configured: 0.1 by default, `--dropout-off` for none),
transformers' attention implementation "sdpa", eager (no torch.compile), one step =
logits for a batch of token ids, next-token cross-entropy, backward. The two models run
alternately (ours, theirs, ours, …) so that a load on the machine falls on both alike; the
script prints each side's median and the median of the per-pair ratios (ours ÷ theirs: below
1.05 is within 5%).

transformers is needed here only, never by archlang:
    PYTHONPATH=. python bench/gpt2_speed.py --batch 2 --length 128 --reps 15
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from zoo_text import dropout_off, gpt2_pair


def step(model, ids, logits_of) -> None:
    """One training step's compute: forward, next-token loss, backward (no optimizer)."""
    model.zero_grad(set_to_none=True)
    logits = logits_of(model, ids)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    loss.backward()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--dropout-off", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print torch.profiler tables")
    a = parser.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    ours, ref, _ = gpt2_pair(a.length)
    ref.set_attn_implementation("sdpa")
    ours.train(), ref.train()
    if a.dropout_off:
        dropout_off(ours, ref)
    ids = torch.randint(0, 50257, (a.batch, a.length), generator=torch.Generator().manual_seed(0))
    sides = {"archlang": (ours, lambda m, x: m(x)),
             "transformers": (ref, lambda m, x: m(input_ids=x).logits)}
    times = {name: [] for name in sides}
    for rep in range(a.warmup + a.reps):
        for name, (model, logits_of) in sides.items():
            t = timed(lambda: step(model, ids, logits_of))
            if rep >= a.warmup:
                times[name].append(t)
    ratios = [o / r for o, r in zip(times["archlang"], times["transformers"])]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {a.batch}×{a.length} "
          f"tokens, dropout {'off' if a.dropout_off else 'on'}, {a.reps} reps after {a.warmup} warm-up")
    for name, ts in times.items():
        print(f"  {name:13s} median {statistics.median(ts) * 1e3:8.1f} ms   "
              f"min {min(ts) * 1e3:8.1f} ms")
    print(f"  ratio archlang / transformers: median of pairs {statistics.median(ratios):.3f}, "
          f"of medians {statistics.median(times['archlang']) / statistics.median(times['transformers']):.3f}")
    if a.profile:
        from torch.profiler import ProfilerActivity, profile
        for name, (model, logits_of) in sides.items():
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                for _ in range(3):
                    step(model, ids, logits_of)
            print(f"\n{name}\n" + prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=18))


if __name__ == "__main__":
    main()
