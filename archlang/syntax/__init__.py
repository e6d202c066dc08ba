"""Text → parse tree → AST with source spans."""
from .expression import parse_expression
from .parser import parse

__all__ = ["parse", "parse_expression"]
