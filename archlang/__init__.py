"""archlang: describe, check, draw, compile and train neural-network architectures.

    >>> import archlang
    >>> report = archlang.check("specs/book/model2.arch")
    >>> report.model("model2").params
    5386
"""
import sys
import types

from . import present  # noqa: F401  (installs how results are shown: str, tables, notebook HTML)
from .analysis import toeplitz
from .api import analyze, check, check_text, compile, diff, draw, export, fit, load
from .diagnostics import Diagnostic, SpecError
from .layers import PluginError


class _Package(types.ModuleType):
    """Importing the subpackage archlang.draw (lazily, on first drawing) would set the
    attribute `draw` of this package to the module; `archlang.draw` stays api.draw."""

    def __setattr__(self, name, value):
        if name == "draw" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def from_torch(module_or_target, input_shape, **options) -> str:
    """A PyTorch nn.Module (or `pkg.mod:Builder`, `file.py:Class`) as a spec's text, whose
    compiled module takes the module's state_dict strictly and computes the same outputs:
    archlang/fromtorch (imports torch), docs/from_torch.md."""
    from .fromtorch import from_torch as convert
    return convert(module_or_target, input_shape, **options)


def __getattr__(name: str):
    """`archlang.callbacks` and `archlang.StopTraining`, imported on first use (torch-free,
    but not needed by `import archlang`)."""
    if name in ("callbacks", "StopTraining"):
        from importlib import import_module
        callbacks = import_module(".callbacks", __name__)
        return callbacks if name == "callbacks" else callbacks.StopTraining
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """`%load_ext archlang`: the `%%arch` cell magic (archlang/notebook.py, imported only here)."""
    from .notebook import load_ipython_extension as load
    load(ipython)

__version__ = "0.1.0"
__all__ = ["analyze", "check", "check_text", "compile", "diff", "draw", "export", "fit", "from_torch", "load", "toeplitz", "Diagnostic", "PluginError", "SpecError", "__version__"]
