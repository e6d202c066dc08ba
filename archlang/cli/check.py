"""`archlang check FILE [--model NAME] [--json] [--depth N]`: the static shape check."""
from __future__ import annotations

import json

from . import EXIT_OK, EXIT_SPEC, common_arguments, load_checked, print_diagnostics


def register(sub) -> None:
    p = sub.add_parser("check", help="check shapes; print per-layer output shapes and parameters",
                       description="Shape-check every model of a spec and print a per-layer table.")
    common_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    p.add_argument("--depth", type=int, metavar="N", default=None,
                   help="fold blocks nested deeper than N levels into one row")
    p.set_defaults(func=run)


def _json_shape(shape):
    return list(shape) if shape is not None else None


def check_json(result, selected) -> dict:
    from ..render import render_json
    models = []
    for m in selected:
        models.append({
            "name": m.name,
            "input_shape": _json_shape(m.input_shape),
            "output_shape": _json_shape(m.output_shape),
            "params": m.params,
            "trainable_params": m.trainable_params,
            "non_trainable_params": m.params - m.trainable_params,
            "state": m.state,
            "ok": m.ok,
            "layers": [{
                "index": i.index,
                "layer": str(i.layer) if i.layer is not None else None,
                "kind": i.layer.kind if i.layer is not None else None,
                "family": i.node.family,
                "input_shapes": [_json_shape(s) for s in i.inputs],
                "output_shape": _json_shape(i.out),
                "params": i.params,
                "state": i.state,
                "scope": [s.label for s in i.node.scope],
                "line": i.node.span.line,
            } for i in m.layers],
        })
    return {"file": result.path, "ok": result.ok, "models": models,
            "diagnostics": [render_json(d) for d in result.diagnostics]}


def run(args) -> int:
    from ..table import render
    result = load_checked(args)
    selected = [m for m in result.models if not args.model or m.name == args.model]
    if args.json:
        print(json.dumps(check_json(result, selected), indent=2, ensure_ascii=False))
        return EXIT_OK if result.ok else EXIT_SPEC
    for i, m in enumerate(selected):
        if i:
            print()
        if m.ok:
            print(render(m, depth=args.depth))
    if not result.models and result.ok and result.program is not None:
        blocks = sorted(result.program.blocks)
        print(f"{args.file}: no models" + (f"; {len(blocks)} blocks: {', '.join(blocks)}" if blocks else ""))
    print_diagnostics(result.diagnostics, args)
    return EXIT_OK if result.ok else EXIT_SPEC


