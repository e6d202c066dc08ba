"""The standard library's blocks (archlang/std/*.arch) that a generated block is: the same
body up to the names of its parameters. A match is imported instead of defined."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

STD = Path(__file__).resolve().parent.parent / "std"
_BLOCK = re.compile(r"^block\s+(\w+)\s*\(([^)]*)\)\s*=", re.M)
_IDENT = re.compile(r"[A-Za-z_]\w*")


def normal(body: str, params: list[str]) -> tuple[str, list[str]]:
    """The body without layout (`;` read as `,`, no trailing commas, no spaces), each parameter
    replaced by its order of first appearance; and the parameters in that order."""
    text = re.sub(r"#[^\n]*", "", body)
    text = re.sub(r"\s+", "", text).replace(";", ",")
    text = re.sub(r",\)", ")", text)
    order: list[str] = []

    def rename(m):
        name = m.group(0)
        if name not in params:
            return name
        if name not in order:
            order.append(name)
        return f"${order.index(name)}"
    return _IDENT.sub(rename, text), order


@lru_cache(maxsize=1)
def library() -> dict[str, tuple[str, str, list[str], list[str]]]:
    """normal body → (file, block, its parameters as declared, in order of appearance)."""
    found = {}
    for path in sorted(STD.glob("*.arch")):
        text = path.read_text(encoding="utf-8")
        starts = list(_BLOCK.finditer(text))
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            params = [p.strip() for p in m.group(2).split(",") if p.strip()]
            if any("=" in p for p in params):
                continue                       # defaults: the call would differ
            key, order = normal(text[m.end():end], params)
            if len(order) == len(params):
                found.setdefault(key, (f"std/{path.name}", m.group(1), params, order))
    return found


def match(body: str, params: list[str]):
    """(file, block name, `params` in the library block's order) or None."""
    key, order = normal(body, params)
    hit = library().get(key)
    if hit is None or len(order) != len(params):
        return None
    file, name, declared, theirs = hit
    mine = {t: m for t, m in zip(theirs, order)}
    return file, name, [mine[p] for p in declared]
