"""The layer kinds, one family per module; importing this package registers them all.

The names a plugin declares its own kinds with (docs/language.md, "Custom layers"): `Layer`,
`Param`, `Shape`, `ShapeProblem`, `ArgProblem`, `Window`, `declare`, and the argument
converters of `archlang.layers.args` (`args.size`, ...).
"""
from . import activation, conv, linear, norm, pool, sequence, structural  # noqa: F401  (registration)
from . import channel, scale, upsample  # noqa: F401  (registration)
from . import embedding  # noqa: F401  (registration)
from .base import REGISTRY, ArgProblem, Layer, Param, Resampling, ShapeProblem, Window, kinds
from .plugins import Plugin, PluginError, declare
from .shape import Shape

__all__ = ["REGISTRY", "ArgProblem", "Layer", "Param", "Plugin", "PluginError", "Resampling", "Shape",
           "ShapeProblem", "Window", "declare", "kinds"]
