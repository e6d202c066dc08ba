"""Checked models → the source of a standalone PyTorch module (imports torch only).

Each layer kind says how it maps to PyTorch (its `torch` method, archlang/layers/torch_code.py);
this module lays the code out the way a person would write it (nanoGPT): one attribute per
layer named after its position (`conv1`) or the block it came from (`basic_block4`), a
straight-line `forward` with the PyTorch shape of each line in a comment, and one class per
block, instantiated with the block's parameters (`BasicBlock(64)`).

A block class is shared by every call of the block whose code differs only in numbers; each
number of its constructors becomes a block parameter when it equals one in every call, else a
literal when every call agrees, else an expression of parameters (`2 * c`), else an extra
keyword argument (`c_in=…`, when the block infers a size from its input).

`generate` also returns, per model, its module map (modulemap.py): which attribute holds
each row of `archlang check`'s table and each block, and where `forward` holds each row's
value; `check --columns name`, `train --freeze`, `archlang show` and the language server
read it rather than working the names out again.

export.py writes a compiled module as ONNX or TorchScript (`archlang.export`).

Nothing from a spec is pasted into code: names become checked identifiers (`safe_identifier`),
numbers are formatted here, and docstrings escape what they quote.
"""
from .export import ExportError, ExportWarning, export_module
from .modulemap import ModuleMap, Place
from .module import Generated, generate, load_source
from .names import doc_text, safe_identifier
from ...layers.layout import torch_order as torch_shape     # an input's (channels first)

__all__ = ["ExportError", "ExportWarning", "Generated", "ModuleMap", "Place", "export_module", "generate",
           "load_source", "doc_text",
           "safe_identifier", "torch_shape"]
