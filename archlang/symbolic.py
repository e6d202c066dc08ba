"""Symbolic sizes: integers that are formulas of named input sizes, carrying a sample value.

A `SymInt` is a floor-affine expression over size variables (`H`, `W`, `T`) — sums with
integer coefficients, products, floor division by a positive constant (ceil division and
`%` are written with it) — and a *hint*: its value at the variables' current sample values.
Operations with ints and SymInts build expressions in a normal form (an integer linear
combination of atoms plus a constant), so `(H + 2 − 3)//1 + 1` is `H` and
`⌊(⌊(H − 1)/2⌋ + 1 − 1)/2⌋` is `⌊(H − 1)/4⌋`. A result that no longer depends on any
variable is a plain int.

Code that is not written for symbols stays correct, only narrower (as torch.fx's ShapeEnv):
- a comparison gives a `SymBool`; `bool()` of it evaluates at the hints and records the
  predicate with its outcome (a `Guard`) in the current guard list (`recording()`);
- `int()`, `__index__`, `hash()` (a dict key, a range bound) *specialise*: they record
  `expr = hint` and return the hint.
The recorded guards describe the set of sizes that take the same path through the code as
the hints did; analysis/sizes.py turns them into the exact set of valid sizes.

Variables read their sample values from `sizes({...})` (a context), else their default; a
derived SymInt keeps the hint it was built with (a check run builds its shapes afresh).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from math import gcd

from .records import dataclass

# ---- expressions -----------------------------------------------------------------------
# An expression is a Lin: ((atom, coef), ...) sorted by atom, plus a constant. Atoms are
# ("var", name), ("floor", Lin, d) with d ≥ 2, ("prod", (Lin, ...)) with ≥ 2 non-constant
# factors. Tuples: hashable, comparable, structural equality for free.


@dataclass(frozen=True, slots=True)
class Lin:
    terms: tuple = ()
    const: int = 0

    @property
    def is_const(self) -> bool:
        return not self.terms


def _lin(coefs: dict, const: int) -> Lin:
    return Lin(tuple(sorted(((a, c) for a, c in coefs.items() if c), key=_key)), const)


def _key(item) -> tuple:
    """Variables first, then floors, then products: `H − 16·⌊H/16⌋`."""
    return ({"var": 0, "floor": 1}.get(item[0][0], 2), repr(item[0]))


def _add(a: Lin, b: Lin, sign: int = 1) -> Lin:
    coefs = dict(a.terms)
    for atom, c in b.terms:
        coefs[atom] = coefs.get(atom, 0) + sign * c
    return _lin(coefs, a.const + sign * b.const)


def _scale(a: Lin, k: int) -> Lin:
    return _lin({atom: c * k for atom, c in a.terms}, a.const * k) if k else Lin()


def _atom(atom) -> Lin:
    return Lin(((atom, 1),), 0)


def _mul(a: Lin, b: Lin) -> Lin:
    if a.is_const:
        return _scale(b, a.const)
    if b.is_const:
        return _scale(a, b.const)
    factors, scale = [], 1
    for f in (a, b):
        # a lone term gives its coefficient to the product and a product atom its factors:
        # (3·H)·W is 3·(H·W), (H·W)·T one product of three factors
        if f.const == 0 and len(f.terms) == 1:
            atom, c = f.terms[0]
            scale *= c
            factors += atom[1] if atom[0] == "prod" else [_atom(atom)]
        else:
            factors.append(f)
    return _scale(_atom(("prod", tuple(sorted(factors, key=repr)))), scale)


def _floordiv(a: Lin, d: int) -> Lin:
    """⌊a/d⌋ for d ≥ 1, with the multiples of d taken out: ⌊(2H + 1)/2⌋ = H, and a floor of
    a floor merged: ⌊(⌊x/a⌋ + c)/b⌋ = ⌊(x + ca)/(ab)⌋ (both exact for integers)."""
    if d == 1:
        return a
    out, rest = {}, {}
    for atom, c in a.terms:
        q, r = divmod(c, d)
        if q:
            out[atom] = q
        if r:
            rest[atom] = r
    q, r = divmod(a.const, d)
    outside = _lin(out, q)
    if not rest:
        return outside
    if len(rest) == 1:
        (atom, c), = rest.items()
        if c == 1 and atom[0] == "floor":
            inner, a_ = atom[1], atom[2]
            return _add(outside, _floordiv(_add(inner, Lin((), r * a_)), a_ * d))
    return _add(outside, _atom(("floor", _lin(rest, r), d)))


def evaluate(e: Lin, env: dict) -> int:
    """The value of an expression with every variable in `env`."""
    total = e.const
    for atom, c in e.terms:
        total += c * _eval_atom(atom, env)
    return total


def _eval_atom(atom, env) -> int:
    kind = atom[0]
    if kind == "var":
        return env[atom[1]]
    if kind == "floor":
        return evaluate(atom[1], env) // atom[2]
    v = 1
    for f in atom[1]:
        v *= evaluate(f, env)
    return v


def variables(e: Lin) -> set[str]:
    out: set[str] = set()
    for atom, _ in e.terms:
        if atom[0] == "var":
            out.add(atom[1])
        elif atom[0] == "floor":
            out |= variables(atom[1])
        else:
            for f in atom[1]:
                out |= variables(f)
    return out


def substitute(e: Lin, values: dict) -> Lin:
    """The expression with the variables in `values` replaced by those numbers."""
    total = Lin((), e.const)
    for atom, c in e.terms:
        kind = atom[0]
        if kind == "var":
            part = Lin((), values[atom[1]]) if atom[1] in values else _atom(atom)
        elif kind == "floor":
            part = _floordiv(substitute(atom[1], values), atom[2])
        else:
            part = Lin((), 1)
            for f in atom[1]:
                part = _mul(part, substitute(f, values))
        total = _add(total, _scale(part, c))
    return total


def period(e: Lin) -> int:
    """A period of the expression's fractional parts: on each residue class n = P·k + r of a
    single variable, every floor in `e` is exact, so `e` is a polynomial in k."""
    p = 1
    for atom, _ in e.terms:
        if atom[0] == "floor":
            q = period(atom[1]) * atom[2]
        elif atom[0] == "prod":
            q = 1
            for f in atom[1]:
                q = _lcm(q, period(f))
        else:
            q = 1
        p = _lcm(p, q)
    return p


def _lcm(a: int, b: int) -> int:
    return a * b // gcd(a, b)


# ---- polynomials --------------------------------------------------------------------
def expand(e: Lin) -> Lin:
    """The polynomial normal form of `e`: products of sums multiplied out, so that every term
    is an integer times a product of atoms (variables and floors), like terms collected:
    `656·(⌊H/2⌋ − 2)·(⌊W/2⌋ − 2)` is `656·⌊H/2⌋·⌊W/2⌋ − 1312·⌊H/2⌋ − 1312·⌊W/2⌋ + 2624`.
    Counts are shown in it (docs/analysis.md); shapes keep their factored form."""
    total = Lin((), e.const)
    for atom, c in e.terms:
        if atom[0] == "prod":
            part = Lin((), 1)
            for f in atom[1]:
                part = _mul_expanded(part, expand(f))
        elif atom[0] == "floor":
            part = _floordiv(expand(atom[1]), atom[2])
        else:
            part = _atom(atom)
        total = _add(total, _scale(part, c))
    return total


def _mul_expanded(a: Lin, b: Lin) -> Lin:
    """a·b for two expanded expressions, multiplied out term by term."""
    total = Lin((), a.const * b.const)
    total = _add(total, _scale(Lin(b.terms, 0), a.const))
    total = _add(total, _scale(Lin(a.terms, 0), b.const))
    for x, cx in a.terms:
        for y, cy in b.terms:
            total = _add(total, _scale(_mul(_atom(x), _atom(y)), cx * cy))
    return total


_SUPER_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_TOKEN = re.compile(r"\s*(?:(\d[\d,]*)|([A-Za-z_][A-Za-z_0-9]*)|([⁰¹²³⁴⁵⁶⁷⁸⁹]+)|(.))")


class ParseError(ValueError):
    """A text that is not a size formula as text() writes it."""


def parse(source: str) -> Lin:
    """The expression a text() wrote (`148160·H·W + 696320·⌊H/2⌋·⌊W/2⌋`, `⌊(H − 1)/4⌋ + 1`,
    `9408·⌈H/2⌉·⌈W/2⌉`, `T²`; thousands separators allowed): how a reader of `--json` turns a count back into a
    formula (`evaluate(parse(text), {"H": 224, "W": 224})`). ParseError otherwise."""
    tokens = []
    for m in _TOKEN.finditer(source):
        number, name, power, other = m.groups()
        if number is not None:
            tokens.append(("num", int(number.replace(",", ""))))
        elif name is not None:
            tokens.append(("var", name))
        elif power is not None:
            tokens.append(("pow", int(power.translate(str.maketrans(_SUPER_DIGITS, "0123456789")))))
        elif other is not None and not other.isspace():
            tokens.append(("op", {"-": "−", "*": "·"}.get(other, other)))
    at = [0]

    def peek():
        return tokens[at[0]] if at[0] < len(tokens) else ("end", None)

    def take(kind=None, value=None):
        tok = peek()
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            raise ParseError(f"expected {value or kind} in `{source}`, found {tok[1] or 'the end'}")
        at[0] += 1
        return tok

    def expr() -> Lin:
        sign = -1 if peek() == ("op", "−") else 1
        if sign < 0:
            take()
        total = _scale(term(), sign)
        while peek() in (("op", "+"), ("op", "−")):
            sign = 1 if take()[1] == "+" else -1
            total = _add(total, _scale(term(), sign))
        return total

    def term() -> Lin:
        out = factor()
        while peek() == ("op", "·"):
            take()
            out = _mul(out, factor())
        return out

    def factor() -> Lin:
        kind, value = peek()
        if kind == "num":
            take()
            base = Lin((), value)
        elif kind == "var":
            take()
            base = _atom(("var", value))
        elif (kind, value) == ("op", "("):
            take()
            base = expr()
            take("op", ")")
        elif (kind, value) in (("op", "⌊"), ("op", "⌈")):
            take()
            inner = expr()
            take("op", "/")
            d = take("num")[1]
            take("op", "⌋" if value == "⌊" else "⌉")
            if d < 1:
                raise ParseError(f"a floor divides by a positive number in `{source}`")
            base = _floordiv(_add(inner, Lin((), d - 1)) if value == "⌈" else inner, d)
        else:
            raise ParseError(f"expected a number, a name, ( or ⌊ in `{source}`, found {value or 'the end'}")
        if peek()[0] == "pow":
            k = take()[1]
            out = Lin((), 1)
            for _ in range(k):
                out = _mul(out, base)
            return out
        return base

    out = expr()
    if peek()[0] != "end":
        raise ParseError(f"unexpected {peek()[1]} in `{source}`")
    return out


# ---- text ----------------------------------------------------------------------------
def text(e: Lin, group: bool = False) -> str:
    """`⌊(H − 1)/32⌋ + 1`, `3·H·W`, `H`. A lone floor is shown as a window formula, with
    + 1 outside (⌊(H + 31)/32⌋ is ⌊(H − 1)/32⌋ + 1), as people write ⌊(n + 2p − k)/s⌋ + 1.
    Terms are ordered by degree (highest first), then by divisor (H·W, ⌊H/2⌋·⌊W/2⌋,
    ⌊H/4⌋·⌊W/4⌋, …), the constant last. Inside a sum or a product, ⌊(H + 1)/2⌋ is ⌈H/2⌉. `group`: numbers with thousands separators
    (`148,160·H·W`), as the tables print counts; without, the text parse() reads back."""
    if len(e.terms) == 1 and e.terms[0][1] == 1 and e.terms[0][0][0] == "floor":
        (_, inner, d), c = e.terms[0][0], e.const
        if inner.const > 0 or c < 0:
            shifted = Lin(inner.terms, inner.const + (c - 1) * d)
            return f"⌊{_grouped(shifted, group)}/{_num(d, group)}⌋ + 1"
    parts = [(c, _atom_text(atom, group)) for atom, c in sorted(e.terms, key=_reading_order)]
    if e.const or not parts:
        parts.append((e.const, None))
    out = ""
    for i, (c, body) in enumerate(parts):
        mag = abs(c)
        piece = _num(mag, group) if body is None else (body if mag == 1 else f"{_num(mag, group)}·{body}")
        if i == 0:
            out = ("−" if c < 0 else "") + piece
        else:
            out += (" − " if c < 0 else " + ") + piece
    return out


def _num(n: int, group: bool) -> str:
    return f"{n:,}" if group else str(n)


def _reading_order(item) -> tuple:
    """A term's place in text(): highest degree first, then the smallest divisor (the
    finest resolution: H·W before ⌊H/2⌋·⌊W/2⌋), then by its variables' names."""
    atom = item[0]
    return (-_degree(atom), _divisor(atom), _names(atom), repr(atom))


def _degree(atom) -> int:
    if atom[0] == "var":
        return 1
    if atom[0] == "floor":
        return _lin_degree(atom[1])
    return sum(_lin_degree(f) for f in atom[1])


def _lin_degree(e: Lin) -> int:
    return max((_degree(a) for a, _ in e.terms), default=0)


def _divisor(atom) -> int:
    if atom[0] == "var":
        return 1
    if atom[0] == "floor":
        return atom[2] * max((_divisor(a) for a, _ in atom[1].terms), default=1)
    out = 1
    for f in atom[1]:
        out *= max((_divisor(a) for a, _ in f.terms), default=1)
    return out


def _factor_order(f: Lin) -> tuple:
    """A product's factors by their variables, then divisor: H·⌊W/2⌋, ⌊H/4⌋·⌊W/4⌋, T²·d."""
    return (tuple(sorted(variables(f))), max((_divisor(a) for a, _ in f.terms), default=1), repr(f))


def _names(atom) -> tuple:
    return tuple(sorted(variables(_atom(atom))))


def _atom_text(atom, group: bool = False) -> str:
    if atom[0] == "var":
        return atom[1]
    if atom[0] == "floor":
        inner, d = atom[1], atom[2]
        if inner.const == d - 1 and inner.terms:     # ⌊(x + d − 1)/d⌋ is ⌈x/d⌉
            return f"⌈{_grouped(Lin(inner.terms, 0), group)}/{_num(d, group)}⌉"
        return f"⌊{_grouped(inner, group)}/{_num(d, group)}⌋"
    parts: list[list] = []               # equal factors as a power: H·H is H²
    for f in sorted(atom[1], key=_factor_order):
        if parts and parts[-1][0] == f:
            parts[-1][1] += 1
        else:
            parts.append([f, 1])
    return "·".join(_factor_text(f, group) + (str(k).translate(_SUPERSCRIPTS) if k > 1 else "")
                    for f, k in parts)


def _factor_text(f: Lin, group: bool) -> str:
    """A factor of a product: an atom as itself (⌊(H + 3)/4⌋, not the window formula text()
    gives it alone), a sum in parentheses."""
    if f.const == 0 and len(f.terms) == 1 and f.terms[0][1] == 1:
        return _atom_text(f.terms[0][0], group)
    return _grouped(f, group)


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def dim_text(d) -> str:
    """A dim in a shape's text: a compound formula in parentheses, `(⌊H/2⌋ + 1)×3`."""
    t = str(d)
    return f"({t})" if isinstance(d, SymInt) and " " in t else t


def _grouped(e: Lin, group: bool = False) -> str:
    """The text of a factor or a numerator: in parentheses when it is a sum."""
    s = text(e, group)
    depth = 0
    for ch in s:
        depth += ch in "(⌊⌈" and 1 or (ch in ")⌋⌉" and -1 or 0)
        if ch == " " and depth == 0:
            return f"({s})"
    return s


# ---- guards --------------------------------------------------------------------------
OPS = {">=": "≥", "==": "=", "!=": "≠"}


@dataclass(frozen=True, slots=True)
class Guard:
    """`expr op 0` (op: >=, ==, !=) was found `outcome` at the hints."""

    expr: Lin
    op: str
    outcome: bool

    def holds(self, env: dict) -> bool:
        v = evaluate(self.expr, env)
        truth = v >= 0 if self.op == ">=" else (v == 0 if self.op == "==" else v != 0)
        return truth == self.outcome

    def __str__(self) -> str:
        """The predicate that held, as a reader writes it: `⌊H/16⌋·⌊W/16⌋ = 196`."""
        op = self.op if self.outcome else {">=": "<", "==": "!=", "!=": "=="}[self.op]
        g = 0
        for _, c in self.expr.terms:
            g = gcd(g, c)
        if op in ("==", "!=") and self.expr.const % g:
            g = 1                          # 2·H = 3 stays as written
        left = Lin(tuple((a, c // g) for a, c in self.expr.terms), 0)
        right = -self.expr.const / g if op in (">=", "<") else -self.expr.const // g
        if op in (">=", "<"):              # expr ≥ 0 ⇔ left ≥ ⌈−const/g⌉
            right = -(self.expr.const // g)
        if op == "<":
            return f"{text(left)} < {right}"
        return f"{text(left)} {OPS.get(op, op)} {right}"


_GUARDS: ContextVar[list | None] = ContextVar("archlang_guards", default=None)
_SIZES: ContextVar[dict] = ContextVar("archlang_sizes", default={})


@contextmanager
def recording():
    """Collect the guards recorded inside the block: `with recording() as guards: ...`."""
    guards: list[Guard] = []
    token = _GUARDS.set(guards)
    try:
        yield guards
    finally:
        _GUARDS.reset(token)


@contextmanager
def sizes(values: dict):
    """Give the size variables these sample values inside the block."""
    token = _SIZES.set(dict(values))
    try:
        yield
    finally:
        _SIZES.reset(token)


def _record(expr: Lin, op: str, outcome: bool) -> None:
    guards = _GUARDS.get()
    if guards is not None:
        guards.append(Guard(expr, op, outcome))


# ---- the value types -----------------------------------------------------------------
class SymBool:
    """A comparison of sizes; `bool()` decides it at the hints and records the guard."""

    __slots__ = ("expr", "op", "hint")

    def __init__(self, expr: Lin, op: str, hint: bool):
        self.expr, self.op, self.hint = expr, op, hint

    def __bool__(self) -> bool:
        _record(self.expr, self.op, self.hint)
        return self.hint

    def __repr__(self) -> str:
        return f"SymBool({Guard(self.expr, self.op, True)})"


def _compare(expr: Lin, op: str, hint_value: int):
    truth = hint_value >= 0 if op == ">=" else (hint_value == 0 if op == "==" else hint_value != 0)
    return SymBool(expr, op, truth) if not expr.is_const else truth


class SymInt:
    """A size that is a formula of named input sizes, with its value at the current hints."""

    __slots__ = ("expr", "_hint", "default")

    def __init__(self, expr: Lin, hint: int | None = None, default: int = 64):
        self.expr, self._hint, self.default = expr, hint, default

    @staticmethod
    def var(name: str, default: int = 64) -> SymInt:
        return SymInt(_atom(("var", name)), None, default)

    @property
    def hint(self) -> int:
        if self._hint is not None:
            return self._hint
        return _SIZES.get().get(self.expr.terms[0][0][1], self.default)   # a bare variable

    @property
    def is_variable(self) -> bool:
        return self._hint is None

    @property
    def variables(self) -> set[str]:
        return variables(self.expr)

    # -- building ---------------------------------------------------------------------
    @staticmethod
    def _of(expr: Lin, hint: int):
        return expr.const if expr.is_const else SymInt(expr, hint)

    def _other(self, other):
        if isinstance(other, SymInt):
            return other.expr, other.hint
        if isinstance(other, bool) or not isinstance(other, int):
            return None, None
        return Lin((), other), other

    def __add__(self, other):
        e, h = self._other(other)
        return NotImplemented if e is None else SymInt._of(_add(self.expr, e), self.hint + h)

    __radd__ = __add__

    def __sub__(self, other):
        e, h = self._other(other)
        return NotImplemented if e is None else SymInt._of(_add(self.expr, e, -1), self.hint - h)

    def __rsub__(self, other):
        e, h = self._other(other)
        return NotImplemented if e is None else SymInt._of(_add(e, self.expr, -1), h - self.hint)

    def __neg__(self):
        return SymInt._of(_scale(self.expr, -1), -self.hint)

    def __pos__(self):
        return self

    def __mul__(self, other):
        e, h = self._other(other)
        return NotImplemented if e is None else SymInt._of(_mul(self.expr, e), self.hint * h)

    __rmul__ = __mul__

    def __pow__(self, k):
        if isinstance(k, int) and not isinstance(k, bool) and k >= 0:
            out = 1
            for _ in range(k):
                out = out * self
            return out
        return int(self) ** k

    def __floordiv__(self, other):
        e, h = self._other(other)
        if e is None:
            return NotImplemented
        if isinstance(other, SymInt):
            other = int(other)             # a symbolic divisor: specialise it
        if other > 0:
            return SymInt._of(_floordiv(self.expr, other), self.hint // other)
        if other < 0:                      # ⌊x/−d⌋ = ⌊−x/d⌋
            return (-self) // (-other)
        return self.hint // other          # ZeroDivisionError, as an int would

    def __rfloordiv__(self, other):
        return other // int(self)

    def __mod__(self, other):
        if isinstance(other, SymInt):
            other = int(other)
        if isinstance(other, int) and not isinstance(other, bool) and other > 0:
            return self - (self // other) * other
        return int(self) % other

    def __rmod__(self, other):
        return other % int(self)

    def __truediv__(self, other):
        # a real-valued ratio of sizes leaves floor-affine arithmetic: specialise
        return int(self) / (int(other) if isinstance(other, SymInt) else other)

    def __rtruediv__(self, other):
        return other / int(self)

    def __abs__(self):
        return self if self >= 0 else -self

    def __floor__(self):
        return self

    __ceil__ = __trunc__ = __floor__

    def __round__(self, ndigits=None):
        return self

    # -- comparing --------------------------------------------------------------------
    def _diff(self, other):
        e, h = self._other(other)
        if e is None:
            if isinstance(other, float):
                return None
            return None
        return _add(self.expr, e, -1), self.hint - h

    def __eq__(self, other):
        d = self._diff(other)
        if d is None:
            return int(self) == other if isinstance(other, float) else False
        return _compare(d[0], "==", d[1])

    def __ne__(self, other):
        d = self._diff(other)
        if d is None:
            return int(self) != other if isinstance(other, float) else True
        return _compare(d[0], "!=", d[1])

    def __ge__(self, other):
        d = self._diff(other)
        if d is None:
            return int(self) >= other
        return _compare(d[0], ">=", d[1])

    def __gt__(self, other):
        d = self._diff(other)
        if d is None:
            return int(self) > other
        return _compare(_add(d[0], Lin((), -1)), ">=", d[1] - 1)

    def __le__(self, other):
        d = self._diff(other)
        if d is None:
            return int(self) <= other
        return _compare(_scale(d[0], -1), ">=", -d[1])

    def __lt__(self, other):
        d = self._diff(other)
        if d is None:
            return int(self) < other
        return _compare(_add(_scale(d[0], -1), Lin((), -1)), ">=", -d[1] - 1)

    def __bool__(self):
        return bool(self != 0)

    # -- specialising -----------------------------------------------------------------
    def __int__(self) -> int:
        h = self.hint
        _record(_add(self.expr, Lin((), -h)), "==", True)
        return h

    __index__ = __int__

    def __float__(self) -> float:
        return float(int(self))

    def __hash__(self) -> int:
        return hash(int(self))

    # -- text -------------------------------------------------------------------------
    def __str__(self) -> str:
        return text(self.expr)

    def __format__(self, spec: str) -> str:
        """`f"{n:,}"`, as the tables format counts: the formula with thousands separators."""
        return text(self.expr, group="," in spec)

    def __repr__(self) -> str:
        return f"SymInt({self}, hint={self.hint})"


def is_symbolic(v) -> bool:
    return isinstance(v, SymInt)


def polynomial(v):
    """A count, an int or a SymInt, with its formula in polynomial normal form (expand)."""
    return SymInt._of(expand(v.expr), v.hint) if isinstance(v, SymInt) else v


def hint_of(v) -> int:
    """The sample value of a size (an int is its own)."""
    return v.hint if isinstance(v, SymInt) else v
