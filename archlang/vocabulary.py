"""The names every spec has without defining them: layer kinds, activations, constructs,
constants and integer functions (archlang/functions.py). One owner for "is this name built in", asked by the parser's error messages
(`Chain(...)` is a body without its header, not a misspelt keyword), by lowering, and by graph
bodies (a value may not take a built-in's name).

Sits just above the layer registry (archlang/layers), below syntax and ir.
"""
from __future__ import annotations

from .functions import FUNCTIONS
from .layers import REGISTRY
from .layers.args import activation_name

# The language's constructs, lowered by ir/lower.py rather than looked up in the registry.
STRUCTURAL = ("Chain", "SkipConnection", "Parallel", "repeat", "SamePad")
CONSTANTS = {"true": True, "false": False}
JOINS = ("cat", "same")           # a value join and the `same` padding, written as bare names


def builtin(name: str) -> str | None:
    """What `name` already means in every spec ('the layer `Conv`', 'the activation `relu`',
    'the built-in `Chain`'), or None when a spec may define it."""
    act = activation_name(name)
    if act:
        return f"the activation `{act}`"
    if name in REGISTRY:
        return f"the layer `{REGISTRY[name].kind}`"
    if name in STRUCTURAL or name in CONSTANTS or name in JOINS:
        return f"the built-in `{name}`"
    if name in FUNCTIONS:
        return f"the function `{name}`"
    return None


def shadowed(name: str) -> str | None:
    """What a plugin kind called `name` would take the name of (as `builtin`, but only the
    built-ins: not the kinds of plugins in use), or None when a plugin may declare it."""
    act = activation_name(name)
    if act:
        return f"the activation `{act}`"
    if name in REGISTRY.builtin:
        return f"the layer `{REGISTRY.builtin[name].kind}`"
    if name in STRUCTURAL or name in CONSTANTS or name in JOINS:
        return f"the built-in `{name}`"
    if name in FUNCTIONS:
        return f"the function `{name}`"
    return None
