"""Which attribute of the compiled module holds each layer and block of a checked model.

`archlang check` numbers leaf layers across the whole model; the generated classes name
their attributes by position inside each class body (`conv1`, `basic_block_down5.conv3`).
This map joins the two, so that `check --columns name` and `train --freeze` speak of the
same layers. Pure data: no torch.
"""
from __future__ import annotations

from ...check import ModelReport
from .occurrences import Occurrence, occurrence


def attribute_paths(report: ModelReport) -> tuple[dict[int, str], dict[int, str]]:
    """(node id → attribute path of that layer's module, id(group) → attribute path of a
    block or repeat) for the compiled module of `report` (which must check). Layers without
    a module (relu, flatten, joins) have no entry."""
    layers: dict[int, str] = {}
    groups: dict[int, str] = {}

    def walk(occ: Occurrence, prefix: str) -> None:
        for it in occ.items:
            if it.attr is None:
                continue
            path = prefix + it.attr
            if it.code is not None:
                layers[it.out] = path
            elif it.child is not None:
                groups[id(it.child.group)] = path
                walk(it.child, path + ".")
            else:
                for k, copy in enumerate(it.copies):
                    groups[id(copy.group)] = f"{path}.{k}"
                    walk(copy, f"{path}.{k}.")
                parent = _parent(report, it.copies[0].group)
                if parent is not None:
                    groups[id(parent)] = path

    walk(occurrence(report.model.tree, report, []), "")
    return layers, groups


def _parent(report: ModelReport, group):
    """The repeat group around a copied block (repeat → copy → block)."""
    def find(node, chain):
        for child in getattr(node, "children", ()):
            if child is group:
                return chain
            if not isinstance(child, int):
                found = find(child, chain + [child])
                if found is not None:
                    return found
        return None
    chain = find(report.model.tree, [])
    repeats = [g for g in (chain or []) if g.kind == "repeat"]
    return repeats[-1] if repeats else None
