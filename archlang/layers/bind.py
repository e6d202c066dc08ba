"""Bind a call's evaluated arguments to a layer kind's schema: positional, then keywords."""
from __future__ import annotations

from .args import Arg, Pair
from .base import REQUIRED, ArgProblem, Layer
from ..suggest import did_you_mean


def signature(cls: type[Layer], name: str | None = None) -> str:
    """Conv(kernel, channels, act=identity; stride, pad, dilation, groups, bias, init)."""
    pos = [(p.shown or p.name) if p.required else f"{p.name}={_default_text(p.default)}"
           for p in cls.schema if p.positional]
    kw = [p.name for p in cls.schema if not p.positional]
    inner = ", ".join(pos) + (("; " if pos else "") + ", ".join(kw) if kw else "")
    return f"{name or cls.kind}({inner})"


def _default_text(v) -> str:
    if isinstance(v, tuple) and len(v) == 1:
        return str(v[0])
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


_SCHEMAS: dict[type, tuple[list, dict]] = {}


def _schema(cls: type[Layer]) -> tuple[list, dict]:
    """A kind's positional parameters, and every parameter by name and alias: made once per
    kind (a 10,000-layer spec binds 10,000 calls)."""
    found = _SCHEMAS.get(cls)
    if found is None:
        by_name = {}
        for p in cls.schema:
            by_name[p.name] = p
            for a in p.aliases:
                by_name[a] = p
        found = _SCHEMAS[cls] = ([p for p in cls.schema if p.positional], by_name,
                                 [(p, p.name, p.required, p.default, p.convert) for p in cls.schema])
    return found


def bind(cls: type[Layer], alias: str, call_span, positional: list[Arg],
         keywords: list[tuple[str, object, Arg]]) -> Layer:
    """Build a layer, raising ArgProblem with the span of the offending argument."""
    written = len(positional)
    positional, kw_map = cls.prepare(list(positional), {k: (s, a) for k, s, a in keywords})
    merged = written - len(positional)      # Dense(784, 200) → one pair: count as written
    pos_params, by_name, params = _schema(cls)
    if len(positional) > len(pos_params):
        extra = positional[len(pos_params)]
        n = len(pos_params) + merged
        raise ArgProblem(f"{alias} takes at most {n} positional argument{'s' if n != 1 else ''} but "
                         f"{written} were given", extra.span, code="E0102",
                         label="unexpected argument", help=f"the signature is {signature(cls, alias)}")
    given: dict[str, Arg] = {}
    spans: dict[str, object] = {}
    for p, arg in zip(pos_params, positional):
        given[p.name] = arg
    for key, (name_span, arg) in kw_map.items():
        p = by_name.get(key)
        if p is None:
            hint = did_you_mean(key, list(by_name))
            raise ArgProblem(f"{alias} has no keyword `{key}`", name_span, code="E0101",
                             label="unknown keyword",
                             help=hint or f"the signature is {signature(cls, alias)}")
        if p.name in given:
            raise ArgProblem(f"`{p.name}` of {alias} is given twice", name_span, code="E0102",
                             label="given again here")
        given[p.name] = arg
    bound = {}
    for p, name, required, default, convert in params:
        arg = given.get(name)
        if arg is None:
            if required:
                raise ArgProblem(f"{alias} is missing its `{name}` argument", call_span,
                                 code="E0102", label=f"missing `{name}`",
                                 help=f"the signature is {signature(cls, alias)}"
                                      + (f"; {name}: {p.doc}" if p.doc else ""))
            bound[name] = default
            continue
        spans[name] = arg.span
        if isinstance(arg.value, Pair):
            spans[name + ".left"] = arg.value.left.span
            spans[name + ".right"] = arg.value.right.span
        bound[name] = convert(arg)
    layer = cls.from_bound(bound, spans, alias)
    return layer, spans


__all__ = ["bind", "signature", "REQUIRED"]
