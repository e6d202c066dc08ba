"""Benchmark: `archlang check` is linear in the number of layers.

Generates specs of 1,250 to 10,000 layers in two shapes, a flat Chain (every layer written
out: parse-bound) and `repeat` over a residual block (graph-bound), times the whole check,
and prints seconds per 1,000 layers: roughly constant per-layer time means linear.

    python bench/check_speed.py
"""
from __future__ import annotations

import time

import archlang


def flat(n: int) -> str:
    body = ",\n".join("    Conv((3, 3), 8 => 8, relu, pad=1)" for _ in range(n))
    return f"model flat(x: 16×16×8) = Chain(\n{body})\n"


def residual(n: int) -> str:
    # 4 layers per block: conv, relu, +, relu
    return ("block Res(c) = Chain(SkipConnection(Chain(Conv((3, 3), c => c, pad=1), relu), +), relu)\n"
            f"model deep(x: 16×16×8) = Chain(repeat({n // 4}, Res(8)))\n")


def time_check(text: str) -> tuple[float, int]:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        result = archlang.check(text)
        best = min(best, time.perf_counter() - t)
    assert result.ok
    return best, len(result.models[0].layers)


def main() -> None:
    print(f"{'spec':<10}{'layers':>8}{'seconds':>10}{'s per 1k':>10}")
    for make in (flat, residual):
        for n in (1_250, 2_500, 5_000, 10_000):
            seconds, layers = time_check(make(n))
            print(f"{make.__name__:<10}{layers:>8}{seconds:>10.2f}{1000 * seconds / layers:>10.3f}")


if __name__ == "__main__":
    main()
