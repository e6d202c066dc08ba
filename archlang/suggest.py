"""Did-you-mean: the closest known names by edit distance (Elm's rule: 1 for short names, else 2)."""
from __future__ import annotations


def edit_distance(a: str, b: str, ignore_case: bool = True) -> int:
    """Damerau–Levenshtein (optimal string alignment) distance, case-insensitive by default."""
    if ignore_case:
        a, b = a.lower(), b.lower()
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def suggest(name: str, candidates, limit: int = 3) -> list[str]:
    """Known names close to `name`, best first."""
    budget = 1 if len(name) <= 3 else 2
    scored = sorted((edit_distance(name, c), edit_distance(name, c, False), c)
                    for c in set(candidates) if c != name)
    close, seen = [], set()
    for d, _, c in scored:
        # One spelling per name: `relu` rather than also `ReLU`.
        if d <= budget and c.lower() not in seen:
            seen.add(c.lower())
            close.append((d, c))
    if not close:
        return []
    # Only the best: `Convv` suggests `Conv`, not also `Conv1d` one edit further away.
    best = close[0][0]
    return [c for d, c in close if d == best][:limit]


def did_you_mean(name: str, candidates) -> str | None:
    found = suggest(name, candidates)
    if not found:
        return None
    return "did you mean " + " or ".join(f"`{c}`" for c in found) + "?"
