"""What `name="…"` may say, and where (docs/language.md, "Names in the compiled module").

A name is the compiled module's attribute for a layer, block call, repeat or Chain, or, for
an element of a named Chain (compiled as one nn.Sequential), its key there. PyTorch keys a
state_dict by these names joined with dots, so a name holds no dot and is not empty; a key
need not be an identifier (RegNet's `block1-0`), an attribute must. A name made of digits
only would take an unnamed element's place (they are keyed by position), and one that
PyTorch's module already has (`forward`, `training`) would hide it. Within one body (a block,
a model, a named Chain's nn.Sequential) a name is given once.
"""
from __future__ import annotations

import keyword
import re

from ..diagnostics import Diagnostic, Label
from .terms import BlockCall, Leaf, Par, Repeat, Seq, Skip, Term

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "append", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extend",
    "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
    "get_submodule", "half", "insert", "ipu", "load_state_dict", "modules", "mtia",
    "named_buffers", "named_children", "named_modules", "named_parameters", "parameters", "pop",
    "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train",
    "training", "type", "xpu", "zero_grad",
})
"""The public attributes of torch.nn.Sequential (PyTorch 2.x; tests/ir/test_names.py checks
them against the installed torch): a submodule cannot take these names. Names starting with
`_` are refused besides."""


def name_problem(value) -> tuple[str, str] | None:
    """(message, help) when `value` can be no name anywhere; None when it can be one (a key
    at least: `is_attribute` says whether it can also be an attribute)."""
    if not isinstance(value, str):
        return "a name is text in quotes, such as `name=\"fc\"`", "write the name in double quotes"
    if not value:
        return "an empty name", "leave `name=` out to keep the name the compiler gives"
    if "." in value:
        return (f"the name `{value}` holds a dot", "a dot joins names into a state_dict key "
                "(`layer1.0.conv1.weight`): name the enclosing Chain or block instead")
    if value.isdigit():
        return (f"the name `{value}` is a position", "an element of a named Chain without a name "
                "is keyed by its position; leave `name=` out or use letters")
    if value.startswith("_") or value in MODULE_ATTRIBUTES:
        return (f"the name `{value}` is taken by PyTorch's nn.Module",
                f"choose another, such as `{value.strip('_') or 'part'}_1`")
    if not value.isprintable():
        return (f"the name `{value}` holds a character that cannot be printed",
                "use letters, digits, `_` or `-`")
    return None


def is_attribute(value: str) -> bool:
    """A name that can be a Python attribute (`self.fc`), not only an nn.Sequential key."""
    return bool(IDENTIFIER.fullmatch(value)) and not keyword.iskeyword(value)


def body_names(body: Term, seen: set[int]) -> list[Diagnostic]:
    """The problems of the names given in one body (a block's or a model's): a name given
    twice in one scope, a name that is no identifier where it becomes an attribute. `seen`
    holds id()s of name spans already reported (a block's body is lowered once per distinct
    arguments)."""
    found: list[Diagnostic] = []

    def given(t: Term, scope: dict, keys: bool) -> None:
        name, span = t.attr, t.attr_span
        if span is None or id(span) in seen:
            return
        if name in scope:
            seen.add(id(span))
            found.append(Diagnostic(
                "E0104", f"the name `{name}` is given twice in one body", span, label="given again",
                labels=(Label(scope[name], "first given here"),),
                help="each attribute or nn.Sequential key of a module has one name: rename one "
                     "(`" + (f"{name}_2" if is_attribute(name) else f"{name}-2") + "`)"))
            return
        scope[name] = span
        if not keys and not is_attribute(name):
            seen.add(id(span))
            what = "a Python keyword" if keyword.iskeyword(name) else "no Python identifier"
            found.append(Diagnostic(
                "E0103", f"the name `{name}` is {what}", span,
                label="becomes an attribute here",
                help="only an element of a named Chain (a key of its nn.Sequential) may have "
                     "any name; an attribute takes letters, digits and `_`"))

    def walk(t: Term, scope: dict, keys: bool) -> None:
        if isinstance(t, (Leaf, Seq, BlockCall, Repeat)) and t.attr:
            given(t, scope, keys)
        if isinstance(t, Seq):
            # A named Chain is one nn.Sequential whose elements are keyed by their names, as
            # is a Chain inside one; others add their layers to the enclosing module. One
            # holding a SkipConnection or a Parallel is written layer by layer.
            own = (bool(t.attr) or keys) and not any(isinstance(i, (Skip, Par)) for i in t.items)
            inner = {} if own else scope
            for item in t.items:
                walk(item, inner, own)
        elif isinstance(t, Repeat):
            walk(t.body, {}, False)              # each copy is a module of its own
        elif isinstance(t, Skip):
            walk(t.inner, scope, False)
        elif isinstance(t, Par):
            for b in t.branches:
                walk(b, scope, False)

    walk(body, {}, False)
    return found
