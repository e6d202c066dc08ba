"""archlang from Python: check a spec, read its shapes and counts, handle its diagnostics.

    python examples/check_api.py
"""
from pathlib import Path

import archlang

ROOT = Path(__file__).resolve().parent.parent

# A file: every model is checked; nothing raises for a bad spec.
result = archlang.check(ROOT / "specs/book/model2.arch")
model2 = result.model("model2")
print(f"{model2.name}: {model2.input_shape} → {model2.output_shape}, {model2.params:,} parameters")
for info in model2.layers:
    print(f"  {info.index}  {str(info.layer):<32} {str(info.out):>10} {info.params:>6,}")

# Text works too; diagnostics are objects that render as compiler errors.
bad = archlang.check("""
model m(x: 28×28×1) = Chain(
    Conv((5, 5), 1 => 8, relu),
    Conv((3, 3), 4 => 16, relu))
""")
for d in bad.diagnostics:
    print(d.code, d.span.line, d.span.column, d.message)
    print(d)          # the same text `archlang check` prints
