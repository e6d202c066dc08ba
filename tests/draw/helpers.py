"""Reading a drawing's DOT source back: node names, edges, clusters."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


def spec(name: str) -> str:
    return str(SPECS / name)


def nodes(source: str) -> list[str]:
    return re.findall(r"^\t+(\w+) \[label=", source, re.M)


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\t+(\w+) -> (\w+)", source, re.M)


def clusters(source: str) -> list[str]:
    return re.findall(r"subgraph (cluster_\w+) \{", source)


def cluster_labels(source: str) -> list[str]:
    """The bold text of each cluster's label, in order."""
    return [re.sub(r"&gt;", ">", m) for m in
            re.findall(r"subgraph cluster_\w+ \{\s*[^\n]*?label=<<b>(.*?)</b>", source)]


def fan_in(source: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, b in edges(source):
        out[b] = out.get(b, 0) + 1
    return out


def joins(source: str) -> dict[str, str]:
    """Join nodes → their operator (+ or cat)."""
    return dict(re.findall(r'^\t+(\w+) \[label=<<font point-size="14"><b>(\+|cat)</b>', source, re.M))
