"""The layer kinds, one family per module; importing this package registers them all."""
from . import activation, conv, linear, norm, pool, sequence, structural  # noqa: F401  (registration)
from . import channel, scale, upsample  # noqa: F401  (registration)
from .base import REGISTRY, ArgProblem, Layer, Param, Resampling, ShapeProblem, Window, kinds
from .shape import Shape

__all__ = ["REGISTRY", "ArgProblem", "Layer", "Param", "Resampling", "Shape", "ShapeProblem", "Window", "kinds"]
