"""`archlang check FILE [--model NAME] [--json] [--depth N] [--columns ...] [--batch N] [--dtype T]`.

The static shape check, and the analysis of every model that checks: MACs, memory, receptive
fields and dense equivalents (archlang/analysis). Never imports torch.
"""
from __future__ import annotations

import json

from . import EXIT_OK, EXIT_SPEC, UsageError, common_arguments, load_checked, print_diagnostics

# Rows of one printed table. A longer one (the largest network in specs/, DenseNet-121, has 545)
# is folded or cut with a note: 393,215 rows once took 16 s and 570 MB to print, ten times
# what checking took.
MAX_TABLE_ROWS = 2_000


def register(sub) -> None:
    p = sub.add_parser("check", help="check shapes; print per-layer output shapes and parameters",
                       description="Shape-check every model of a spec and print a per-layer table.")
    common_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    p.add_argument("--strict", action="store_true",
                   help="also warn where a stride drops pixels at the edge")
    p.add_argument("--depth", type=int, metavar="N", default=None,
                   help="fold blocks nested deeper than N levels into one row")
    p.add_argument("--all", action="store_true",
                   help=f"print every row of a table (by default one of more than "
                        f"{MAX_TABLE_ROWS:,} rows is folded or cut, with a note)")
    p.add_argument("--columns", metavar="LIST", default=None,
                   help="comma-separated columns after # and layer: input, output, params, "
                        "params%%, kernel, macs, flops, ops, memory, weights, rf, dense, "
                        "trainable, state, name (the compiled module's attribute, which "
                        "`train --freeze` takes) (default: output,params,macs,rf)")
    analysis_arguments(p)
    p.set_defaults(func=run)


def analysis_arguments(p) -> None:
    """--batch and --dtype, the settings of the analysis (also `archlang diff`'s)."""
    p.add_argument("--batch", type=int, metavar="N", default=1,
                   help="batch size for activation memory (default: 1)")
    p.add_argument("--dtype", default="fp32", metavar="T",
                   help="element type for memory figures: fp32 (float32), fp16, bf16, fp64, "
                        "int8 (default: fp32)")


def _json_shape(shape):
    return list(shape) if shape is not None else None


def _json_dtype(shape) -> dict:
    """`"dtype": "int"` for token ids and masks; float, the default, is not written."""
    dtype = getattr(shape, "dtype", "float")
    return {"dtype": dtype} if dtype != "float" else {}


def _attributes(report) -> dict[int, str]:
    """node → the attribute path of the compiled module holding the layer (`layer1.0.conv1`),
    for a model that checks (the backend's module map, made without torch)."""
    if not report.ok:
        return {}
    from ..backends.torch import generate
    return generate([report], "").maps[report.name].layers


def check_json(result, selected, analyses=None, diagnostics=None) -> dict:
    from ..present.render import render_json
    from ..symbolic import polynomial       # a count of named sizes: its polynomial
    analyses = analyses or {}
    models = []
    for m in selected:
        a = analyses.get(m.name)
        names = _attributes(m)
        models.append({
            "name": m.name,
            "input_shape": _json_shape(m.input_shape),
            "output_shape": _json_shape(m.output_shape),
            "inputs": [{"name": n, "shape": _json_shape(s), **_json_dtype(s)} for n, s in m.inputs],
            "outputs": [{"name": n, "shape": _json_shape(s)} for n, s in m.outputs],
            "params": polynomial(m.params),
            "trainable_params": polynomial(m.trainable_params),
            "non_trainable_params": polynomial(m.params - m.trainable_params),
            "state": m.state,
            "ok": m.ok,
            "layers": [{
                "index": i.index,
                "layer": str(i.layer) if i.layer is not None else None,
                "kind": i.layer.kind if i.layer is not None else None,
                "family": i.node.family,
                "input_shapes": [_json_shape(s) for s in i.inputs],
                "output_shape": _json_shape(i.out),
                "params": polynomial(i.params),
                "state": i.state,
                "scope": [s.label for s in i.node.scope],
                **({"name": names[i.node.id]} if i.node.id in names else {}),
                **({"tied_to": i.tied_to} if i.tied_to else {}),
                "line": i.node.span.line,
                **(a.records[i.node.id].json() if a is not None else {}),
            } for i in m.layers],
            **({"totals": a.json()} if a is not None else {}),
            **({"input_sizes": m.input_sizes.json()} if m.input_sizes is not None else {}),
        })
    ds = result.diagnostics if diagnostics is None else diagnostics
    return {"file": result.path, "ok": result.ok, "models": models,
            "diagnostics": [render_json(d) for d in ds]}


def space_json(space) -> dict:
    """The search space as data: each searched parameter's domain, and the point count."""
    dims = {}
    for d in space.dimensions:
        dims[d.name] = ({"choices": list(d.labels)} if d.kind == "choice" else
                        {"min": d.low, "max": d.high, "step": d.step, "type": d.kind})
    return {"parameters": dims, "points": space.size}


def point_header(space, point: dict, given: bool) -> str:
    """The line above the tables of a spec with a search space: which point they show."""
    from ..ir.space import value_text
    values = ", ".join(f"{n} = {value_text(v)}" for n, v in point.items())
    size = f"{space.size:,} points" if space.size is not None else "a continuous range"
    if given:
        return f"at {values} (--set; the search space has {size})"
    return (f"at the default point {values}: each parameter's first value (the search space "
            f"has {size}; --set NAME=VALUE checks another, `archlang sweep FILE --check` all)")


def analyses(selected, args) -> dict:
    """The analysis of every model that checked; usage errors for bad --batch/--dtype."""
    from ..analysis import analyze_report, dtype_bytes
    if args.batch < 1:
        raise UsageError(f"--batch must be at least 1, not {args.batch}")
    try:
        dtype_bytes(args.dtype)
    except ValueError as err:
        raise UsageError(str(err)) from None
    return {m.name: analyze_report(m, batch=args.batch, dtype=args.dtype) for m in selected if m.ok}


def run(args) -> int:
    from ..present.render import encodable
    from ..present.table import choose_columns, render
    columns = None
    if args.columns is not None:
        try:
            columns = choose_columns(args.columns.split(","))
        except ValueError as err:
            raise UsageError(str(err)) from None
    result = load_checked(args)
    selected = [m for m in result.models if not args.model or m.name == args.model]
    analysed = analyses(selected, args)
    space = result.program.space if result.program is not None else None
    # Receptive-field alignment warnings (W0401), after the check's own diagnostics.
    diagnostics = list(result.diagnostics) + [w for a in analysed.values() for w in a.warnings]
    if args.json:
        doc = check_json(result, selected, analysed, diagnostics)
        if space is not None and space.declarations:
            doc["space"] = space_json(space)
            doc["point"] = result.program.point
        # a size formula (x: H×W×3) is written as its text: "⌊(H + 1)/2⌋"
        print(encodable(json.dumps(doc, indent=2, ensure_ascii=False, default=str)))
        return EXIT_OK if result.ok else EXIT_SPEC
    if space is not None and space.dimensions and result.program.point:
        print(point_header(space, result.program.point, bool(args.set)) + "\n")
    for i, m in enumerate(selected):
        if i:
            print()
        if m.ok:
            print(render(m, columns, depth=args.depth, analysis=analysed[m.name],
                         max_rows=None if args.all else MAX_TABLE_ROWS))
        if m.input_sizes is not None:
            print("\n".join(m.input_sizes.lines()))
    if not result.models and result.ok and result.program is not None:
        blocks = sorted(result.program.blocks)
        print(f"{args.file}: no models" + (f"; {len(blocks)} blocks: {', '.join(blocks)}" if blocks else ""))
    print_diagnostics(diagnostics, args)
    return EXIT_OK if result.ok else EXIT_SPEC


