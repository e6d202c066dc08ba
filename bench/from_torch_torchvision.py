"""`archlang from-torch` on every torchvision classification builder: the contract, counted.

For each builder of `torchvision.models.list_models(module=torchvision.models)`, with
weights=None and the BatchNorm statistics randomised (so that a wrong buffer shows):

- traced: torch.fx's symbolic_trace of the whole model succeeds;
- converted: archlang.from_torch writes a spec (else the diagnostic, which names the module
  and the operation, is the reason);
- strict: the spec's compiled module (archlang.load) takes the model's state_dict with
  strict=True;
- max |Δ|: of the outputs in eval mode at two input sizes (224 and 256; Inception v3 299
  and 331). Where the model itself takes one size only (ViT and MaxViT assert theirs), the
  second is another input of that size; where the spec's module does not take the second
  size (its reshapes and windows are written for the size it was converted at: Swin), the
  model is converted again at that size and that spec compared (or the reason it is not);
- fixed: converting the compiled module gives the same spec back.

Run with the reference environment, archlang from this checkout:

    PYTHONPATH=. /work/refvenv/bin/python bench/from_torch_torchvision.py [--only NAME ...]
        [--match vit swin ...] [--max-params 200e6] [--out bench/from_torch_torchvision.md]
        [--rows rows.jsonl]

torchvision is no dependency of archlang or of its tests (tests/fromtorch uses hand-written
modules). Models above --max-params are listed as skipped (memory of this machine).

A family at a time: `--only densenet121 densenet161 --rows rows.jsonl` appends its rows to
rows.jsonl; `--table-from rows.jsonl --out table.md` writes the summary and the table of
every builder from the rows recorded there (the last row of each model wins), without
running anything: the big models can be run one at a time with a raised --max-params.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import traceback

import torch
import torchvision

import archlang
from archlang.fromtorch import Unsupported, from_torch


def randomise(model) -> None:
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def one(name: str, max_params: float) -> dict:
    row = {"model": name, "traced": False, "converted": False, "strict": False, "delta": [],
           "fixed": False, "reason": "", "seconds": 0.0}
    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
    model = torchvision.models.get_model(name, weights=None, **kwargs).eval()
    params = sum(p.numel() for p in model.parameters())
    row["params"] = params
    if params > max_params:
        row["reason"] = f"skipped: {params / 1e6:.0f}M parameters (memory of this machine)"
        return row
    with torch.no_grad():
        randomise(model)
    try:
        torch.fx.symbolic_trace(model)
        row["traced"] = True
    except Exception as err:  # noqa: BLE001
        row["reason"] = f"torch.fx: {str(err).splitlines()[0][:120]}"
        return row
    size = 299 if name == "inception_v3" else 224
    sizes = [(size, size, 3), (size + 32, size + 32, 3)]
    start = time.perf_counter()
    try:
        spec = from_torch(model, sizes[0], name=name)
    except Unsupported as err:
        row["reason"] = str(err)[:160]
        return row
    row["seconds"] = time.perf_counter() - start
    row["converted"] = True
    try:
        compiled = archlang.load(spec).eval()
    except Exception as err:  # noqa: BLE001
        row["reason"] = f"the spec does not compile: {str(err).splitlines()[0][:120]}"
        return row
    try:
        compiled.load_state_dict(model.state_dict(), strict=True)
        row["strict"] = True
    except RuntimeError as err:
        row["reason"] = "strict load: " + " ".join(str(err).split())[:160]
        return row
    with torch.no_grad():
        for k, dims in enumerate(sizes):
            delta, how = second_size(model, compiled, name, sizes[0], dims, seed=1 + k)
            if delta is None:
                row["reason"] = how
                break
            row["delta"].append(delta)
            if how:
                row["second"] = how
    try:
        row["fixed"] = from_torch(compiled, sizes[0], name=name) == spec
    except Exception as err:  # noqa: BLE001
        row["reason"] = f"converting the compiled module: {str(err)[:120]}"
    if not row["fixed"] and not row["reason"]:
        row["reason"] = "the compiled module converts to another spec"
    return row


def second_size(model, compiled, name, first, dims, seed):
    """(max |Δ| at `dims`, how it was measured when not plainly) or (None, the reason)."""
    x = torch.randn(2, 3, dims[1], dims[0], generator=torch.Generator().manual_seed(seed))
    try:
        want = model(x)
    except Exception:  # noqa: BLE001 — the model takes one size: another input of it
        x = torch.randn(2, 3, first[1], first[0], generator=torch.Generator().manual_seed(seed))
        return float((compiled(x) - model(x)).abs().max()), \
            f"{first[0]}×{first[1]} only (the model asserts its size): another input"
    try:
        return float((compiled(x) - want).abs().max()), ""
    except Exception:  # noqa: BLE001 — the spec names its sizes: convert at this one
        pass
    where = f"{dims[0]}×{dims[1]}"
    try:
        spec = from_torch(model, dims, name=name)
    except Unsupported as err:
        return None, f"at {where} (the spec names its sizes; converted again there): {str(err)[:140]}"
    other = archlang.load(spec).eval()
    other.load_state_dict(model.state_dict(), strict=True)
    return float((other(x) - want).abs().max()), f"converted again at {where} (the spec names its sizes)"


def table(rows: list[dict]) -> str:
    yes = lambda b: "yes" if b else "no"   # noqa: E731
    lines = ["| model | traced | converted | strict load | max \\|Δ\\| (two sizes) | fixed point | reason |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        delta = ", ".join(f"{d:.1e}" for d in r["delta"]) or "–"
        reason = (r["reason"] or r.get("second", "")).replace("|", "\\|")
        lines.append(f"| {r['model']} | {yes(r['traced'])} | {yes(r['converted'])} | {yes(r['strict'])} "
                     f"| {delta} | {yes(r['fixed'])} | {reason} |")
    return "\n".join(lines)


def recorded(path: str) -> list[dict]:
    """The rows of a --rows file, the last of each model, in list_models' order."""
    last = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                last[row["model"]] = row
    order = torchvision.models.list_models(module=torchvision.models)
    return [last[n] for n in order if n in last] + [r for n, r in last.items() if n not in order]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--match", nargs="*", help="only the builders whose name contains one of these")
    parser.add_argument("--max-params", type=float, default=200e6)
    parser.add_argument("--out", default=None)
    parser.add_argument("--rows", default=None, help="append each row to this JSON-lines file")
    parser.add_argument("--table-from", default=None, help="summarise a --rows file, run nothing")
    args = parser.parse_args()
    names = [] if args.table_from else args.only or torchvision.models.list_models(module=torchvision.models)
    if args.match:
        names = [n for n in names if any(m in n for m in args.match)]
    rows = recorded(args.table_from) if args.table_from else []
    for name in names:
        try:
            row = one(name, args.max_params)
        except Exception as err:  # noqa: BLE001 — a bench row, never a crash of the whole run
            row = {"model": name, "traced": False, "converted": False, "strict": False, "delta": [],
                   "fixed": False, "reason": f"error: {type(err).__name__}: {str(err)[:100]}"}
            traceback.print_exc()
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.rows:
            with open(args.rows, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
    full = [r for r in rows if r["strict"] and r["fixed"] and len(r["delta"]) == 2 and max(r["delta"]) <= 1e-4]
    summary = (f"{len(rows)} builders (torchvision {torchvision.__version__}, torch {torch.__version__}): "
               f"{sum(r['traced'] for r in rows)} traced, {sum(r['converted'] for r in rows)} converted, "
               f"{sum(r['strict'] for r in rows)} load strictly, {len(full)} meet the whole contract "
               "(strict load, max |Δ| ≤ 1e-4 at both sizes, fixed point)")
    print(summary)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(summary + "\n\n" + table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
