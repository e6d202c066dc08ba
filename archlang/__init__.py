"""archlang: describe, check, draw, compile and train neural-network architectures.

    >>> import archlang
    >>> report = archlang.check("specs/book/model2.arch")
    >>> report.model("model2").params
    5386
"""
from .analysis import analyze, toeplitz
from .api import check, compile, draw, fit, load
from .diagnostics import Diagnostic, SpecError
from .notebook import load_ipython_extension  # noqa: F401  (`%load_ext archlang`; IPython is lazy)

__version__ = "0.1.0"
__all__ = ["analyze", "check", "compile", "draw", "fit", "load", "toeplitz", "Diagnostic", "SpecError", "__version__"]
