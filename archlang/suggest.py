"""Did-you-mean: the closest known names by edit distance (Elm's rule: 1 for short names, else 2).

Bounded work: a name longer than MAX_NAME_LENGTH gets no suggestion, and a candidate whose
length differs by more than the budget is skipped before any distance is computed (the
distance is at least the difference in length), so the cost is that of a few short words.
"""
from __future__ import annotations

from functools import lru_cache

from .limits import MAX_NAME_LENGTH


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
    if len(name) > MAX_NAME_LENGTH:
        return []
    # A file with thousands of the same typo asks the same question thousands of times.
    return list(_suggest(name, frozenset(candidates), limit))


@lru_cache(maxsize=1024)
def _suggest(name: str, candidates: frozenset, limit: int) -> tuple[str, ...]:
    budget = 1 if len(name) <= 3 else 2
    scored = sorted((edit_distance(name, c), edit_distance(name, c, False), c)
                    for c in candidates if c != name and abs(len(c) - len(name)) <= budget)
    close, seen = [], set()
    for d, _, c in scored:
        # One spelling per name: `relu` rather than also `ReLU`. A suggestion shares at least
        # one character with the name: `B` is not a misspelt `σ`.
        if d <= budget and d < len(name) and c.lower() not in seen:
            seen.add(c.lower())
            close.append((d, c))
    if not close:
        return ()
    # Only the best: `Convv` suggests `Conv`, not also `Conv1d` one edit further away.
    best = close[0][0]
    return tuple(c for d, c in close if d == best)[:limit]


def did_you_mean(name: str, candidates) -> str | None:
    found = suggest(name, candidates)
    if not found:
        return None
    return "did you mean " + " or ".join(f"`{c}`" for c in found) + "?"
