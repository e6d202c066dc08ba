"""archlang: describe, check, draw, compile and train neural-network architectures.

    >>> import archlang
    >>> report = archlang.check("specs/book/model2.arch")
    >>> report.model("model2").params
    5386
"""
from .api import check
from .diagnostics import Diagnostic, SpecError

__version__ = "0.1.0"
__all__ = ["check", "Diagnostic", "SpecError", "__version__"]
