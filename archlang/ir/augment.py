"""The schema of a train section's transforms: `augment` (the random changes made to each
training sample) and `normalize` (per-channel mean and std). Torch-free: `check` reads it to
diagnose a section, the engine (train/transforms.py) to run it.

    augment = (random_crop(pad = 4), flip, rotate(15), color_jitter(0.2))
    normalize = auto                                   # measured on the training split
    normalize = (0.5, 0.5)                             # one mean and std for every channel
    normalize = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))

An `augment` value becomes a list of steps in canonical form, each a call dict with every
argument by keyword: `{"call": "random_crop", "args": [], "kwargs": {"pad": 4}}`. A
`normalize` value becomes None, "auto" or `{"mean": [...], "std": [...]}`.
"""
from __future__ import annotations

import math

from ..diagnostics import Diagnostic, Problem
from ..source import Source, Span
from ..suggest import did_you_mean
from ..syntax import ast

# name → its arguments in positional order, with defaults. What each does: train/transforms.py.
TRANSFORMS: dict[str, dict] = {
    "random_crop": {"pad": 4},
    "flip": {"p": 0.5},
    "vflip": {"p": 0.5},
    "rotate": {"degrees": 15.0},
    "color_jitter": {"brightness": 0.2, "contrast": 0.2, "saturation": 0.2},
    "random_resized_crop": {"scale": (0.08, 1.0), "ratio": (3 / 4, 4 / 3)},
}
# torchvision's and Keras' spellings → ours.
ALIASES = {"crop": "random_crop", "randomcrop": "random_crop", "hflip": "flip",
           "horizontal_flip": "flip", "random_flip": "flip", "randomhorizontalflip": "flip",
           "vertical_flip": "vflip", "randomverticalflip": "vflip", "rotation": "rotate",
           "random_rotation": "rotate", "randomrotation": "rotate", "jitter": "color_jitter",
           "colour_jitter": "color_jitter", "colorjitter": "color_jitter",
           "randomresizedcrop": "random_resized_crop"}
_FORM = ("e.g. augment = (random_crop(pad = 4), flip, rotate(15), color_jitter(0.2)); "
         "transforms: " + ", ".join(TRANSFORMS))


class BadStep(Exception):
    """A transform setting that is not one (the schema's own error: trainconfig turns it
    into a TrainError): `message`, `hint`, and for a step `where` it is wrong: "name", an
    argument's position (int) or keyword (str)."""

    def __init__(self, message: str, hint: str | None, where="name"):
        super().__init__(message)
        self.message, self.hint, self.where = message, hint, where


def step(value) -> dict:
    """One transform (a name, or a call dict) in canonical form; BadStep when it is none."""
    if isinstance(value, str):
        name, args, kwargs = value, [], {}
    elif isinstance(value, dict) and "call" in value:
        name, args, kwargs = str(value["call"]), list(value.get("args", [])), dict(value.get("kwargs", {}))
    else:
        raise BadStep(f"expected a transform, got {_kind(value)}", _FORM)
    key = ALIASES.get(name.lower(), name.lower())
    if key not in TRANSFORMS:
        raise BadStep(f"unknown transform `{name}`",
                      did_you_mean(name, list(TRANSFORMS) + list(ALIASES)) or _FORM)
    allowed = TRANSFORMS[key]
    if len(args) > len(allowed):
        raise BadStep(f"`{key}` takes at most {len(allowed)} arguments ({', '.join(allowed)})",
                      None, len(allowed))
    given = dict(zip(allowed, args))
    for k, v in kwargs.items():
        if k not in allowed:
            raise BadStep(f"`{key}` has no argument `{k}`",
                          did_you_mean(k, list(allowed)) or f"it takes {', '.join(allowed)}", k)
        given[k] = v
    if key == "color_jitter" and len(args) == 1 and not kwargs:
        given = dict.fromkeys(allowed, args[0])          # color_jitter(0.2): all three
    elif key == "color_jitter" and given:
        given = {**dict.fromkeys(allowed, 0.0), **given}  # the ones named, the rest off
    params = {**allowed, **given}
    where = {k: (list(allowed).index(k) if k in dict(zip(allowed, args)) else k) for k in params}
    for k, v in params.items():
        params[k] = _checked(key, k, v, where[k])
    return {"call": key, "args": [], "kwargs": params}


def _checked(name: str, key: str, value, where):
    """An argument's value, coerced and range-checked; BadStep at `where`."""
    if key == "pad":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
                or value < 0:
            raise BadStep(f"`pad` of `{name}` must be a whole number ≥ 0, got {_kind(value)}",
                          "the pixels added on each side before cropping back, e.g. random_crop(pad = 4)",
                          where)
        return int(value)
    if key in ("scale", "ratio"):
        pair = value if isinstance(value, (list, tuple)) else None
        if pair is None or len(pair) != 2 or not all(_real(v) for v in pair) \
                or not 0 < pair[0] <= pair[1] or (key == "scale" and pair[1] > 1):
            raise BadStep(f"`{key}` of `{name}` must be a pair (low, high) with 0 < low ≤ high"
                          + (" ≤ 1" if key == "scale" else "") + f", got {_kind(value)}",
                          "e.g. random_resized_crop(scale = (0.5, 1), ratio = (0.75, 1.33))", where)
        return [float(pair[0]), float(pair[1])]
    top = {"p": 1.0, "degrees": 180.0}.get(key, 1.0)
    if not _real(value) or not 0 <= value <= top:
        raise BadStep(f"`{key}` of `{name}` must be a number in [0, {top:g}], got {_kind(value)}",
                      {"p": "the chance of applying it, e.g. flip(p = 0.5)",
                       "degrees": "the largest turn either way, e.g. rotate(15)"}.get(
                           key, "the largest change either way, e.g. color_jitter(0.2)"), where)
    return float(value)


def _real(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _kind(value) -> str:
    if isinstance(value, (int, float, str)) and len(repr(value)) < 40:
        return repr(value)
    return f"a {type(value).__name__}"


def augment_steps(value, origin: str = "augment") -> list[dict]:
    """An `augment` setting as canonical steps: a list or tuple of names and call dicts (a
    section's value, a checkpoint's record, a Python argument), one of them alone, or a text
    (`"random_crop(4), flip"`, a flag) read by the spec grammar. None, "none" or () → [].
    BadStep for a bad step; Problem, positioned in the text, for a bad step of a text."""
    if value is None or value is False:
        return []
    if isinstance(value, str):
        if value.strip().lower() in ("", "none", "off"):
            return []
        if not value.lstrip().startswith(("{", "[")):
            return read_text(value, origin)
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    return [step(item) for item in items]


def read_text(text: str, origin: str) -> list[dict]:
    """A flag's `random_crop(4), flip` (or one wrapped in parentheses) as steps; Problem
    positioned in Source(origin, text)."""
    node, place = flag_expression(text, origin)
    return read_node(node, _plain, place)


def flag_expression(text: str, origin: str):
    """(node, place) of a flag's text read by the spec grammar: one expression, or a bare
    list `a, b` read as the tuple `(a, b)`; `place` maps the node's spans back onto the text.
    A syntax error is a Problem positioned in Source(origin, text)."""
    from ..syntax import parse_expression
    source = Source(origin, text)
    node = parse_expression(text, origin)
    if not isinstance(node, Diagnostic):
        return node, lambda span: span
    whole = parse_expression(f"({text})", origin)      # `a, b`: a bare list, read as a tuple
    if isinstance(whole, Diagnostic):
        raise Problem(node)                            # a syntax error of the text itself

    def back(span: Span) -> Span:                      # spans of "(text)" → of the text
        start = min(max(span.start - 1, 0), max(len(text) - 1, 0))
        return Span(source, start, min(max(span.end - 1, start + 1), len(text)))
    return whole, back


def read_node(node: ast.Node, plain, place=lambda span: span) -> list[dict]:
    """The steps an expression of the spec writes (a tuple of transforms, or one), values read
    by `plain(node)`; Problem (E0103) at the step, argument or keyword that is wrong."""
    items = node.items if isinstance(node, ast.Tuple) else (node,)
    out = []
    for item in items:
        try:
            out.append(step(plain(item) if isinstance(item, (ast.Name, ast.Call, ast.String)) else item))
        except BadStep as bad:
            raise Problem(Diagnostic("E0103", bad.message, place(_span(item, bad.where)),
                                     label="not a transform" if bad.where == "name" else "not accepted here",
                                     help=bad.hint)) from None
    return out


def _span(item, where) -> Span:
    if isinstance(item, ast.Call):
        if where == "name":
            return item.func_span
        if isinstance(where, int) and where < len(item.positional):
            return item.positional[where].span
        for k in item.keywords:
            if k.name == where:
                return k.span
    return item.span


def _plain(node: ast.Node):
    """Literal values of a flag's text (names, numbers, tuples, calls)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.String):
        return node.value
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Neg):
        inner = _plain(node.operand)
        return -inner if isinstance(inner, (int, float)) else inner
    if isinstance(node, ast.Tuple):
        return [_plain(i) for i in node.items]
    if isinstance(node, ast.Call):
        return {"call": node.func, "args": [_plain(a) for a in node.positional],
                "kwargs": {k.name: _plain(k.value) for k in node.keywords}}
    return f"<{type(node).__name__.lower()}>"


def normalize_setting(value):
    """A `normalize` setting as None, "auto" or {"mean": [...], "std": [...]} (lists of one
    number, for every channel, or one per channel); BadStep for anything else."""
    hint = ("normalize = auto (measured on the training split), normalize = (0.5, 0.5), or "
            "normalize = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)): means, then stds")
    if value is None or value is False:
        return None
    if value is True:
        return "auto"
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("auto", "none", "off"):
            return None if word != "auto" else "auto"
        value = _literal(value.strip())
    if isinstance(value, dict) and set(value) == {"mean", "std"}:
        mean, std = value["mean"], value["std"]
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        mean, std = value
    else:
        got = f"{len(value)} values" if isinstance(value, (list, tuple)) else _kind(value)
        raise BadStep(f"`normalize` must be auto or (mean, std), got {got}", hint)
    mean, std = _numbers(mean), _numbers(std)
    if mean is None or std is None:
        raise BadStep("`normalize` takes numbers: a mean and a std, each one number or one "
                         "per channel", hint)
    if len(mean) != len(std) and 1 not in (len(mean), len(std)):
        raise BadStep(f"`normalize` gives {len(mean)} means but {len(std)} stds", hint)
    if any(s <= 0 for s in std):
        raise BadStep("every std of `normalize` must be > 0", hint)
    return {"mean": mean, "std": std}


def _literal(text: str):
    """A flag's `0.5, 0.5` or `(m1, m2, m3), (s1, s2, s3)` as plain values, read by the spec
    grammar as every flag's expression is (a syntax error is positioned in `--normalize`)."""
    node, _ = flag_expression(text, "--normalize")
    return _plain(node)


def _numbers(value) -> list[float] | None:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items or len(items) > 4096 or not all(_real(v) for v in items):
        return None
    return [float(v) for v in items]
