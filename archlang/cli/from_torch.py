"""`archlang from-torch TARGET --input 224x224x3 [-o OUT.arch] [--args ...] [--kwargs K=V ...]`:
an nn.Module as a spec (archlang/fromtorch). TARGET is `pkg.module:Callable` or
`file.py:Class`, built with --args (Python literals) and --kwargs. Exit 0 with the spec
written, 1 when the module cannot be expressed (a diagnostic names the module and the
operation), 2 for a wrong command line or target. Imports torch (only when run)."""
from __future__ import annotations

import sys
from pathlib import Path

from . import EXIT_OK, EXIT_SPEC, UsageError


def register(sub) -> None:
    p = sub.add_parser("from-torch", help="write a PyTorch nn.Module as a spec",
                       description="Trace a PyTorch module with torch.fx and write it as a .arch "
                                   "spec whose compiled module takes the original state_dict "
                                   "(strict) and computes the same outputs.",
                       epilog="Exit status: 0 written, 1 the module has an operation no spec "
                              "expresses, 2 the command was used wrongly.")
    p.add_argument("target", metavar="TARGET",
                   help="the module's class or builder: pkg.module:Name or file.py:Name")
    p.add_argument("--input", "-i", required=True, metavar="SHAPE",
                   help="the input's shape in the spec's order, W×H×C: 224x224x3, or 784")
    p.add_argument("-o", "--output", metavar="OUT.arch", help="write here (default: stdout)")
    p.add_argument("--args", metavar="LITERALS", help="positional arguments for TARGET, as Python "
                                                      "literals: \"10, True\"")
    p.add_argument("--kwargs", nargs="*", default=[], metavar="NAME=VALUE",
                   help="keyword arguments for TARGET (values are Python literals): num_classes=10")
    p.add_argument("--name", metavar="NAME", help="the model's name (default: TARGET's)")
    p.add_argument("--verify", action="store_true",
                   help="also compile the spec, load the module's state_dict strictly and compare "
                        "outputs (eval mode)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..fromtorch import Unsupported, convert
    from ..fromtorch.trace import build, parse_arguments, parse_shape
    try:
        dims = parse_shape(args.input)
        pos, kw = parse_arguments(args.args, args.kwargs)
        # --verify compares outputs, so it needs the module's weights; a conversion alone needs
        # only its structure and shapes (built on the meta device: no initialisation).
        module, label = build(args.target, pos, kw, meta=not args.verify)
    except ValueError as err:
        raise UsageError(str(err)) from None
    except Exception as err:   # noqa: BLE001 — the user's constructor failed
        raise UsageError(f"{args.target}: building it failed: {type(err).__name__}: {err}") from None
    def rebuild():
        try:
            return build(args.target, pos, kw)[0]
        except Exception as err:   # noqa: BLE001 — the user's constructor failed on the CPU
            raise UsageError(f"{args.target}: building it failed: {type(err).__name__}: {err}") from None

    try:
        text = convert(module, dims, args.name or label, rebuild=rebuild)
    except Unsupported as err:
        print(f"error: {err}", file=sys.stderr)
        print("  = help: no spec computes this; rewrite the module without it, or convert the part "
              "before it", file=sys.stderr)
        return EXIT_SPEC
    if args.verify:
        from ..fromtorch.verify import verify
        problem = verify(module, text, dims)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_SPEC
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK
