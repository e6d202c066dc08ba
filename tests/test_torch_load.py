"""Every checkpoint read is `torch.load(..., weights_only=True)` on a torch that makes it safe.

Before torch 2.6 weights_only=True could be bypassed to run code (CVE-2025-32434); before 2.10
its unpickler could corrupt memory (CVE-2026-24747). pyproject.toml requires torch ≥ 2.10, and
archlang.train.checkpoint refuses an older one at run time.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "archlang"
LOADERS = {"torch": {"load"}, "torch.serialization": {"load"}}


def unsafe_loads(source: str) -> tuple[list[int], int]:
    """(lines where torch's load is used without weights_only=True, safe calls found).

    Follows imports and aliases: `import torch as T; T.load`, `from torch import load as L`,
    `from torch import serialization`, `torch.serialization.load`, getattr(torch, "load"); a
    load that is not called on the spot (passed along, assigned) counts as unsafe."""
    tree = ast.parse(source)
    modules: dict[str, str] = {}          # local name → torch module it is
    functions: set[str] = set()           # local names of torch's load itself
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in LOADERS or a.name.startswith("torch."):
                    if a.asname:
                        modules[a.asname] = a.name
                    else:
                        modules[a.name.split(".")[0]] = "torch"
        elif isinstance(node, ast.ImportFrom) and node.module in ("torch", "torch.serialization"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in LOADERS:
                    modules[a.asname or a.name] = full
                elif a.name in LOADERS.get(node.module, ()):
                    functions.add(a.asname or a.name)

    def module_of(expr) -> str | None:
        if isinstance(expr, ast.Name):
            return modules.get(expr.id)
        if isinstance(expr, ast.Attribute):
            inner = module_of(expr.value)
            return f"{inner}.{expr.attr}" if inner else None
        return None

    def is_loader(expr) -> bool:
        if isinstance(expr, ast.Name):
            return expr.id in functions
        if isinstance(expr, ast.Attribute):
            return expr.attr in LOADERS.get(module_of(expr.value) or "", ())
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "getattr":
            args = expr.args
            return len(args) >= 2 and module_of(args[0]) in LOADERS and \
                isinstance(args[1], ast.Constant) and args[1].value == "load"
        return False

    called_safely, unsafe, safe = set(), [], 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and is_loader(node.func):
            called_safely.add(id(node.func))
            if any(k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                   for k in node.keywords):
                safe += 1
            else:
                unsafe.append(node.lineno)
    for node in ast.walk(tree):
        if (isinstance(node, (ast.Name, ast.Attribute, ast.Call)) and id(node) not in called_safely
                and is_loader(node) and not isinstance(getattr(node, "ctx", None), ast.Store)):
            unsafe.append(node.lineno)            # the loader handed on: its calls are unseen
    return sorted(set(unsafe)), safe


def test_every_torch_load_in_archlang_has_weights_only():
    safe_total, unsafe = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        bad, safe = unsafe_loads(path.read_text(encoding="utf-8"))
        unsafe += [f"{path.relative_to(ROOT)}:{line}" for line in bad]
        safe_total += safe
    assert unsafe == []
    assert safe_total >= 1              # the checkpoint reader: the scan does see calls


@pytest.mark.parametrize("source, lines", [
    ("import torch\ntorch.load(p)", [2]),
    ("import torch\ntorch.load(p, weights_only=False)", [2]),
    ("import torch\ntorch.load(p, **kw)", [2]),
    ("import torch as T\nT.load(p)", [2]),
    ("from torch import load\nload(p)", [2]),
    ("from torch import load as read\nread(p, map_location='cpu')", [2]),
    ("import torch.serialization\ntorch.serialization.load(p)", [2]),
    ("from torch import serialization as s\ns.load(p)", [2]),
    ("from torch.serialization import load\nload(p)", [2]),
    ("import torch\nf = torch.load\nf(p, weights_only=True)", [2]),
    ("import torch\ngetattr(torch, 'load')(p)", [2]),
    ("import torch\ntorch.load(p, weights_only=True)", []),
    ("import numpy as np\nnp.load(p)", []),
    ("import json\njson.load(f)", []),
])
def test_the_scan_finds_every_form(source, lines):
    assert unsafe_loads(source)[0] == lines


def test_pyproject_requires_the_torch_the_loader_checks():
    from archlang.train.checkpoint import SAFE_LOAD_TORCH
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (minimum,) = re.findall(r'"torch>=(\d+)\.(\d+)', text)
    assert tuple(map(int, minimum)) == SAFE_LOAD_TORCH == (2, 10)


def test_an_old_torch_is_refused_before_loading(tmp_path, monkeypatch):
    import torch

    from archlang.train import TrainError, checkpoint
    path = tmp_path / "best.pt"
    torch.save({"model": {}}, path)
    assert checkpoint.load(path) == {"model": {}}
    monkeypatch.setattr(torch, "__version__", "2.9.1+cpu")
    called = []
    monkeypatch.setattr(torch, "load", lambda *a, **k: called.append(1))
    with pytest.raises(TrainError, match=r"torch 2.9.1\+cpu cannot read checkpoints safely"):
        checkpoint.load(path)
    assert called == []
