"""The exact set of input sizes a model with named sizes (`x: H×W×3`) accepts.

A check run at sample values (hints) of the size variables records guards (archlang/
symbolic.py): the predicates its path depended on. Every guard is floor-affine (or a
polynomial of floors) in each variable, so on each residue class n = P·k + r, with P the
product of the divisors nested in the guards, a guard is a polynomial in k and its truth set
is a union of k-intervals (closed form for degree ≤ 1; beyond the Cauchy bound on its roots
a polynomial keeps its leading sign). Intersecting the guards' sets gives the *region* of
the run: all the sizes that take the same path, hence have the same outcome.

Exploration: run at the smallest size not yet classified, add its region, repeat until every
n ≥ 1 is classified (or MAX_RUNS runs / MAX_SECONDS: the rest is reported as unexplored).
Two outcomes per region: *runs* (no shape error) and *exact* (also no strided window drops a
row or column: check --strict's W0001). A region is one path, so the two need one exploration.

Several variables: each is explored with the others at a reference point (all variables
equal, the first valid such size: 224 when valid); guards that mention two variables are
reported as joint constraints (`⌊H/16⌋·⌊W/16⌋ = 196`).
"""
from __future__ import annotations

import json
import time
from math import gcd

from .diagnostics import Diagnostics
from .records import dataclass, field
from .symbolic import Guard, Lin, SymInt, period, recording, sizes, substitute, variables

MAX_RUNS = 200         # check runs per variable
MAX_SECONDS = 30.0     # of exploration per model
MAX_PERIOD = 4096      # residue classes; a larger period is reported as unexplored
MAX_HEAD = 100_000     # sizes listed one by one below the periodic part of a set
PREFERRED = 224        # the reference size when valid (ImageNet's)

Intervals = list       # [(lo, hi or None)], disjoint, sorted


# ---- interval lists over k ---------------------------------------------------------------
def _intersect(a: Intervals, b: Intervals) -> Intervals:
    out = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo = max(lo1, lo2)
            hi = hi1 if hi2 is None else (hi2 if hi1 is None else min(hi1, hi2))
            if hi is None or lo <= hi:
                out.append((lo, hi))
    return sorted(out)


def _union(a: Intervals, b: Intervals) -> Intervals:
    out: Intervals = []
    for lo, hi in sorted(a + b):
        if out and (out[-1][1] is None or lo <= out[-1][1] + 1):
            last_lo, last_hi = out[-1]
            out[-1] = (last_lo, None if last_hi is None or hi is None else max(last_hi, hi))
        else:
            out.append((lo, hi))
    return out


def _complement(a: Intervals, start: int) -> Intervals:
    out, at = [], start
    for lo, hi in a:
        if lo > at:
            out.append((at, lo - 1))
        if hi is None:
            return out
        at = max(at, hi + 1)
    out.append((at, None))
    return out


# ---- a guard on one residue class ------------------------------------------------------------
def _padd(p, q):
    n = max(len(p), len(q))
    return _trim([(p[i] if i < len(p) else 0) + (q[i] if i < len(q) else 0) for i in range(n)])


def _pmul(p, q):
    out = [0] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return _trim(out)


def _trim(p):
    while len(p) > 1 and p[-1] == 0:
        p = p[:-1]
    return p


def _poly(e: Lin, var, P: int, r: int):
    """`e` on n = P·k + r as integer coefficients in k (lowest first), or None when a floor
    of it is not exact there."""
    total = [e.const]
    for atom, c in e.terms:
        if atom[0] == "var":
            p = [r, P] if atom[1] in var else None
            if p is None:
                return None
        elif atom[0] == "floor":
            inner = _poly(atom[1], var, P, r)
            d = atom[2]
            if inner is None or any(x % d for x in inner[1:]):
                return None
            p = [inner[0] // d] + [x // d for x in inner[1:]]
        else:
            p = [1]
            for f in atom[1]:
                q = _poly(f, var, P, r)
                if q is None:
                    return None
                p = _pmul(p, q)
        total = _padd(total, [c * x for x in p])
    return total


def _truth(p, op: str, start: int) -> Intervals | None:
    """The k ≥ start where `p(k) op 0`, or None when it cannot be bounded cheaply."""
    def test(v):
        return v >= 0 if op == ">=" else (v == 0 if op == "==" else v != 0)
    if len(p) == 1:
        return [(start, None)] if test(p[0]) else []
    if len(p) == 2:
        b, a = p
        if op == ">=":
            if a > 0:
                return [(max(start, -(b // a)), None)]            # k ≥ ⌈−b/a⌉
            bound = b // -a                                      # k ≤ ⌊b/−a⌋
            return [(start, bound)] if bound >= start else []
        root = -b // a if b % a == 0 else None
        at = [(root, root)] if root is not None and root >= start else []
        return at if op == "==" else _complement(at, start)
    bound = 1 + max(abs(x) for x in p[:-1]) // abs(p[-1]) + 1   # Cauchy: roots below it
    if bound - start > 100_000:
        return None
    out: Intervals = []
    for k in range(start, bound + 1):
        v = sum(c * k ** i for i, c in enumerate(p))
        if test(v):
            out = _union(out, [(k, k)])
    if test(p[-1]):                      # beyond the bound: the leading coefficient's sign
        out = _union(out, [(bound + 1, None)])
    return out


# ---- periodic sets of sizes ----------------------------------------------------------------
@dataclass
class SizeSet:
    """{n ≥ 1 : n = P·k + r, k in classes[r]} for r in 0..P−1."""

    modulus: int = 1
    classes: dict = field(default_factory=dict)

    @staticmethod
    def start(r: int) -> int:
        return 1 if r == 0 else 0

    def refined(self, m: int) -> SizeSet:
        """The same set over the modulus m (a multiple of this one)."""
        if m == self.modulus:
            return self
        f = m // self.modulus
        out = {}
        for r2 in range(m):
            r, j = r2 % self.modulus, r2 // self.modulus
            got = []
            for lo, hi in self.classes.get(r, []):
                a = -((j - lo) // f)                           # ⌈(lo − j)/f⌉
                b = None if hi is None else (hi - j) // f
                a = max(a, SizeSet.start(r2))
                if b is None or a <= b:
                    got.append((a, b))
            if got:
                out[r2] = got
        return SizeSet(m, out)

    def union(self, other: SizeSet) -> SizeSet:
        m = _lcm(self.modulus, other.modulus)
        a, b = self.refined(m), other.refined(m)
        return SizeSet(m, {r: _union(a.classes.get(r, []), b.classes.get(r, []))
                           for r in set(a.classes) | set(b.classes)})

    def smallest(self) -> int | None:
        firsts = [self.modulus * ivs[0][0] + r for r, ivs in self.classes.items() if ivs]
        return min(firsts) if firsts else None

    def first_missing(self) -> int | None:
        """The smallest n ≥ 1 not in the set, or None when it holds every n."""
        best = None
        for r in range(self.modulus):
            free = _complement(self.classes.get(r, []), SizeSet.start(r))
            if free:
                n = self.modulus * free[0][0] + r
                best = n if best is None else min(best, n)
        return best

    def __contains__(self, n: int) -> bool:
        k, r = divmod(n, self.modulus)
        return n >= 1 and any(lo <= k and (hi is None or k <= hi) for lo, hi in self.classes.get(r, []))

    def pieces(self) -> list[dict]:
        """The set as a union of {n : min ≤ n ≤ max, n mod modulus ∈ residues} (max None:
        unbounded): a finite head (runs and arithmetic progressions) below a threshold T,
        then {n ≥ T : n mod q ∈ R} with the smallest q, T as low as the set allows."""
        P = self.modulus
        ends = [P * (lo if hi is None else hi + 1) + r for r, ivs in self.classes.items()
                for lo, hi in ivs]
        T = max(ends, default=1)
        tail = sorted(r for r, ivs in self.classes.items() if ivs and ivs[-1][1] is None)
        q = _smallest_modulus(P, tail) if tail else 1
        res = sorted({r % q for r in tail})
        if T > MAX_HEAD:
            return self._class_pieces()
        while T > 1 and ((T - 1) in self) == ((T - 1) % q in res and bool(res)):
            T -= 1
        head = sorted(P * k + r for r, ivs in self.classes.items() for lo, hi in ivs
                      for k in range(lo, (hi if hi is not None else (T - r) // P + 1) + 1)
                      if P * k + r < T)
        out = _progressions(head)
        if res:
            first = next(n for n in range(T, T + q) if n % q in res)
            out.append({"min": first, "max": None, "modulus": q, "residues": res})
        return out

    def _class_pieces(self) -> list[dict]:
        """One piece per residue class and interval (a head too long to list)."""
        return sorted(({"min": self.modulus * lo + r,
                        "max": None if hi is None else self.modulus * hi + r,
                        "modulus": self.modulus, "residues": [r]}
                       for r, ivs in self.classes.items() for lo, hi in ivs),
                      key=lambda p: p["min"])


def _progressions(values: list[int]) -> list[dict]:
    """Sorted sizes as pieces: maximal runs with one step (a single value alone)."""
    out, i = [], 0
    while i < len(values):
        j = i + 1
        if j < len(values):
            step = values[j] - values[i]
            while j + 1 < len(values) and values[j + 1] - values[j] == step:
                j += 1
            if j - i < 2 and step != 1:         # two values a step apart: keep them single
                j = i
        else:
            j = i
        lo, hi = values[i], values[j]
        q = 1 if j == i else values[i + 1] - values[i]
        out.append({"min": lo, "max": hi, "modulus": q, "residues": [lo % q]})
        i = j + 1
    return out


def _smallest_modulus(P: int, residues: list[int]) -> int:
    rs = set(residues)
    for q in range(1, P + 1):
        if P % q == 0 and all((r + q) % P in rs for r in rs):
            return q
    return P


def _lcm(a: int, b: int) -> int:
    return a * b // gcd(a, b)


def describe(name: str, pieces: list[dict]) -> str:
    """`H ≥ 1`, `H ∈ {16, 32, 48, …}`, `H ∈ {224}`, `H ∈ {221, …, 224}`, joined by ∪."""
    if not pieces:
        return f"no {name}"
    words = []
    for p in pieces:
        lo, hi, q, res = p["min"], p["max"], p["modulus"], p["residues"]
        if q == 1 or lo == hi:
            if hi is None:
                words.append(f"{name} ≥ {lo}")
            elif hi == lo:
                words.append(f"{name} ∈ {{{lo}}}")
            else:
                words.append(f"{name} ∈ {{{lo}, …, {hi}}}")
            continue
        seq = [n for n in range(lo, lo + 3 * q) if n % q in res][:3]
        if hi is not None:
            seq = [n for n in seq if n <= hi]
        tail = "…" if hi is None else (f"…, {hi}" if hi not in seq else "")
        words.append(f"{name} ∈ {{{', '.join(map(str, seq + ([tail] if tail else [])))}}}")
    return " ∪ ".join(words)


# ---- exploring ---------------------------------------------------------------------------
@dataclass
class VariableSizes:
    """The sizes of one variable (the others at `reference`) that pass the check."""

    name: str
    runs: SizeSet
    exact: SizeSet
    complete: bool = True
    explored_below: int | None = None      # when not complete: every n below it is classified
    checks: int = 0
    # Why the other sizes fail: (sizes, the first error there) per error place and kind, the
    # sizes of every run that stopped at that error, in the order found (smallest first).
    failures: list = field(default_factory=list)

    def json(self) -> dict:
        out = {"runs": self.runs.pieces(), "exact": self.exact.pieces()}
        if not self.complete:
            out["complete"] = False
            out["explored_below"] = self.explored_below
        if self.failures:
            out["fails"] = [{"sizes": sizes.pieces(), "code": d.code, "message": d.message,
                             **({"line": d.span.line, "column": d.span.column} if d.span else {})}
                            for sizes, d in self.failures]
        return out

    def failure_lines(self, limit: int = 3) -> list[str]:
        """`H ∈ {1, …, 31}: error[E0302] at f.arch:7:59: a 2×2 window does not fit …` (the
        message as at the smallest such size)."""
        out = []
        for sizes, d in self.failures[:limit]:
            where = f" at {d.span.location()}" if d.span is not None else ""
            out.append(f"{describe(self.name, sizes.pieces())}: error[{d.code}]{where}: {d.message}")
        if len(self.failures) > limit:
            out.append(f"… and {len(self.failures) - limit} more reason"
                       f"{'s' if len(self.failures) - limit > 1 else ''} (check --json lists them)")
        return out


@dataclass
class InputSizes:
    reference: dict
    variables: dict = field(default_factory=dict)     # name → VariableSizes
    joint: list = field(default_factory=list)          # texts of guards over several variables
    table_at: dict | None = None                       # --size: the sizes the table shows

    def lines(self) -> list[str]:
        """The sets in words, for check's text output."""
        several = len(self.variables) > 1
        at = ", ".join(f"{n} = {v}" for n, v in self.reference.items())
        shown = ", ".join(f"{n} = {v}" for n, v in (self.table_at or self.reference).items())
        out = [f"input sizes{f' (each with the others at {at})' if several else ''}; "
               f"table at {shown}:"]
        for name, v in self.variables.items():
            runs, exact = describe(name, v.runs.pieces()), describe(name, v.exact.pieces())
            more = "" if v.complete else f" (explored below {v.explored_below}; larger sizes unknown)"
            out.append(f"  runs:  {runs}{more}")
            out.append(f"  exact: {exact}   (no strided window drops a row or column)")
            out += [f"  fails: {line}" for line in v.failure_lines()]
        for j in self.joint:
            out.append(f"  joint: {j}")
        return out

    def json(self) -> dict:
        return {"reference": dict(self.reference),
                **{n: v.json() for n, v in self.variables.items()},
                **({"joint": list(self.joint)} if self.joint else {})}


def size_variables(model) -> list[str]:
    """The named sizes of a model's inputs, in order of appearance."""
    names: list[str] = []
    for i in model.inputs:
        layer = model.graph[i].layer
        for d in getattr(layer, "shape", None) or ():
            if isinstance(d, SymInt):
                for v in sorted(d.variables):
                    if v not in names:
                        names.append(v)
    return names


def _run(checks, model, values: dict):
    """(ok, guards, exact, first error) of one check at these sizes. `checks`: (check.check_model,
    check.drop_margins). `exact`: the conditions for no dropped pixel, as guards that must
    hold (margin ≤ 0) — read from the formulas, not decided at the hints, so that one run
    settles the exact flavour of its whole region — or None when a margin is a positive
    constant (every size of the region drops pixels)."""
    check, margins = checks
    diags = Diagnostics()
    with sizes(values), recording() as guards:
        report = check(model, diags, strict=False, explain=False)
        ok = report.ok
    first_error = next((d for d in diags.items if d.is_error), None)
    exact: list | None = []
    if ok:
        with sizes(values), recording() as pinned:
            found = margins(report)
        exact = list(pinned)
        for m in found:
            if isinstance(m, SymInt):
                exact.append(Guard((-m).expr if isinstance(-m, SymInt) else Lin((), -m), ">=", True))
            elif m > 0:
                exact = None
                break
    return ok, guards, exact, first_error


def _region(guards: list[Guard], var: tuple, values: dict) -> SizeSet:
    """The sizes n of the variables `var` (all equal to n; the others at `values`) where
    every guard has its outcome: for the guards of a run, the sizes whose path is the run's.
    A guard that cannot be bounded on a class (a period over MAX_PERIOD, a floor that is not
    exact there) keeps the hint alone, if the guard holds at it (narrower, never wrong)."""
    fixed = {k: v for k, v in values.items() if k not in var}
    n = values[var[0]]
    exprs = []
    P = 1
    for g in set(guards):
        e = substitute(g.expr, fixed)
        if e.is_const:
            if not g.holds(values):     # a condition false at every n (with the others fixed)
                return SizeSet()
            continue
        exprs.append((e, g))
        P = _lcm(P, period(e))
    if P > MAX_PERIOD:
        held = all(g.holds(values) for _, g in exprs)
        return SizeSet(1, {0: [(n, n)]}) if held else SizeSet()
    classes = {}
    for r in range(P):
        ivs = [(SizeSet.start(r), None)]
        for e, g in exprs:
            p = _poly(e, var, P, r)
            truth = _truth(p, g.op, SizeSet.start(r)) if p is not None else None
            if truth is None:
                truth = [((n - r) // P, (n - r) // P)] if n % P == r and g.holds(values) else []
            elif not g.outcome:
                truth = _complement(truth, SizeSet.start(r))
            ivs = _intersect(ivs, truth)
            if not ivs:
                break
        if ivs:
            classes[r] = ivs
    return SizeSet(P, classes)


def explore(check, model, var: tuple, reference: dict, deadline: float) -> VariableSizes:
    """Classify every size n of the variables `var` (all equal to n; the others at
    `reference`) by exploring regions."""
    covered, runs, exact = SizeSet(), SizeSet(), SizeSet()
    failures: list = []
    checks = 0
    n = 1
    while n is not None:
        if checks >= MAX_RUNS or time.monotonic() > deadline:
            return VariableSizes(" = ".join(var), runs, exact, False, n, checks, failures=failures)
        values = {**reference, **{v: n for v in var}}
        ok, guards, exact_guards, first_error = _run(check, model, values)
        checks += 1
        region = _region(guards, var, values)
        if n not in region:            # a guard not captured (should not happen): the point only
            region = SizeSet(1, {0: [(n, n)]})
        covered = covered.union(region)
        if ok:
            runs = runs.union(region)
            if exact_guards is not None:
                exact = exact.union(_region(guards + exact_guards, var, values))
        elif first_error is not None:
            _failed(failures, region, first_error)
        n = covered.first_missing()
    return VariableSizes(" = ".join(var), runs, exact, True, None, checks, failures=failures)


def _failed(failures: list, region: SizeSet, d) -> None:
    """Add a failing region to the reason it shares with earlier ones (the same code at the
    same place), else as a new reason."""
    key = (d.code, d.span.start if d.span is not None else None)
    for i, (sizes, first) in enumerate(failures):
        if (first.code, first.span.start if first.span is not None else None) == key:
            failures[i] = (sizes.union(region), first)
            return
    failures.append((region, d))


def input_sizes(model, check, margins, seconds: float = MAX_SECONDS) -> InputSizes | None:
    """The valid sizes of every named size of the model's inputs (None: it has none),
    explored for at most `seconds`; `check`, `margins`: check.check_model and
    check.drop_margins (passed in: this module sits beside the check, not above it)."""
    check = (check, margins)
    names = size_variables(model)
    if not names:
        return None
    deadline = time.monotonic() + seconds
    reference = {n: PREFERRED for n in names}
    if len(names) > 1:          # a reference point: all sizes equal, valid if possible
        diagonal = explore(check, model, tuple(names), reference, deadline)
        reference = {n: _pick(diagonal) for n in names}
    out = InputSizes(reference)
    for name in names:
        found = explore(check, model, (name,), reference, deadline)
        if len(names) == 1:
            out.reference = {name: _pick(found)}
        out.variables[name] = found
    _, guards, _, _ = _run(check, model, out.reference)
    joint = []
    for g in guards:
        if len(variables(g.expr)) > 1 and str(g) not in joint:
            joint.append(str(g))
    out.joint = joint
    return out


def _pick(found: VariableSizes) -> int:
    """The sample size shown in the table: PREFERRED when valid (exact, else runs), else the
    smallest exact size, else the smallest that runs, else PREFERRED (whose errors show)."""
    for s in (found.exact, found.runs):
        if PREFERRED in s:
            return PREFERRED
    for s in (found.exact, found.runs):
        n = s.smallest()
        if n is not None:
            return n
    return PREFERRED


# ---- the sets of one point of a search space (analysis/space.py) ---------------------------
def sets_key(found: InputSizes) -> str:
    """What two points' sets must share to be one size group of `sweep --check`: every
    variable's runs and exact pieces, completeness and the joint constraints (not the
    reference, which may differ where the sets are the same, nor the reasons of the sizes
    outside, whose messages hold the point's numbers)."""
    sets = {n: {k: x for k, x in v.json().items() if k != "fails"} for n, v in found.variables.items()}
    return json.dumps({"variables": sets, "joint": list(found.joint)}, sort_keys=True)


def sets_text(found: InputSizes) -> str:
    """The sets on one line: `W ∈ {4, 8, 12, …}, H ∈ {4, 8, 12, …}`, the *runs* sets, then
    `; exact: …` where the exact sets differ, `; joint: …`, and what an exploration left."""
    runs = [describe(n, v.runs.pieces()) for n, v in found.variables.items()]
    exact = [describe(n, v.exact.pieces()) for n, v in found.variables.items()]
    out = ", ".join(runs)
    if exact != runs:
        out += "; exact: " + ", ".join(exact)
    if found.joint:
        out += "; joint: " + ", ".join(found.joint)
    cut = [f"{n} explored below {v.explored_below}" for n, v in found.variables.items() if not v.complete]
    if cut:
        out += f" ({', '.join(cut)}; larger sizes unknown)"
    return out
