"""Text → parse tree → AST with source spans."""
from .parser import parse

__all__ = ["parse"]
