"""A mutational fuzzer over the spec corpus, and the oracle every fuzzed input must pass.

`mutate(rng, text, corpus)` applies one to three edits of the kinds that broke archlang
before (issue 14): cut, duplicate and swap pieces; splice two specs; insert grammar tokens
and hostile literals (huge numbers, `0^-1`, `1e999`, bad escapes, control characters, long
names, deep nesting, long operator chains). `examine(text)` checks it through
`archlang.check_text` and returns what went wrong, or None: an exception, a diagnostic
without a position, one that does not render or serialise, or a run over its bound: calls
counted (tests/counting.py; the suite's bound, the same on any machine) or CPU seconds
(bench/fuzz.py's long runs).
"""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

from counting import calls

ROOT = Path(__file__).resolve().parents[2]

TOKENS = ["(", ")", ",", ";", ":", "=", "=>", "+", "-", "*", "/", "÷", "//", "^", "×", "_", "#",
          '"', "{", "}", "\n", " ", "x", "Chain(", "Conv((3, 3), ", "Dense(", "SkipConnection(",
          "Parallel(", "repeat(", "cat", "relu", "flatten", "reshape(", "BatchNorm(_)", "model ",
          "block ", "import ", "train ", "pad=", "stride=", "SamePad()", "=> 8", "1 => 1",
          "GlobalMeanPool()", "MaxPool((2, 2))", "Dropout(", "init=", "eps=", "true", "false",
          "1:", "12: ", "\t", "é", "σ", "Conv2d(1, 8, 5)", "MaxPool2d(2)", "Linear(", "nn."]
HOSTILE = ["0^-1", "0.0^-1", "(-8)^(1/3)", "2^63", "2^64", "10^10^10", "1e999", "1e308*10",
           "-" * 50 + "1", "9" * 60, "1" + "+1" * 400, "2" + "^1" * 300, "1" + "×1" * 400,
           '"\\x"', '"\\N{x}"', '"\\u12"', '"\\', '"' + "a" * 5000 + '"', "\x1b[31m", "\x00",
           "\u202e", "a" * 300, "(" * 120 + "1" + ")" * 120, "_ => _",
           "reshape(1, 1, 1, 1, 1)", "Dense(_ => 2^40)", "Conv((1, 1), 1 => 2^30)",
           "repeat(70, repeat(70, relu))", 'import "../../etc/passwd"', 'import "README.md"',
           "x: 1×28×28", "1 => 0", "-1", "0", "2^-1", "1/3", "1e-400", "inf", "nan"]


def corpus_texts() -> list[str]:
    """Every spec the project ships and its test fixtures: the seeds of mutation."""
    paths = sorted({*ROOT.glob("specs/**/*.arch"), *ROOT.glob("archlang/std/*.arch"),
                    *ROOT.glob("tests/fixtures/**/*.arch")})
    return [p.read_text(encoding="utf-8") for p in paths]


def _piece(rng: random.Random, text: str) -> tuple[int, int]:
    if not text:
        return 0, 0
    a = rng.randrange(len(text))
    return a, min(len(text), a + rng.choice([1, 1, 2, 3, 5, 10, 40, 200]))


def mutate(rng: random.Random, text: str, corpus: list[str]) -> str:
    """One to three random edits of `text`."""
    for _ in range(rng.choice([1, 1, 2, 3])):
        kind = rng.random()
        a, b = _piece(rng, text)
        if kind < 0.2:                                   # cut
            text = text[:a] + text[b:]
        elif kind < 0.35:                                # duplicate (sometimes many times)
            text = text[:b] + text[a:b] * rng.choice([1, 1, 2, 50, 500]) + text[b:]
        elif kind < 0.55:                                # insert a grammar token
            text = text[:a] + rng.choice(TOKENS) + text[a:]
        elif kind < 0.7:                                 # insert a hostile literal
            text = text[:a] + rng.choice(HOSTILE) + text[a:]
        elif kind < 0.8:                                 # replace a number by a hostile one
            digits = [i for i, ch in enumerate(text) if ch.isdigit()]
            if digits:
                i = rng.choice(digits)
                text = text[:i] + rng.choice(HOSTILE) + text[i + 1:]
        elif kind < 0.9:                                 # splice in part of another spec
            other = rng.choice(corpus)
            c, d = _piece(rng, other)
            text = text[:a] + other[c:d] + text[b:]
        else:                                            # swap two pieces
            c, d = _piece(rng, text)
            if b <= c:
                text = text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
    return text


def examine(text: str, limit_s: float | None = None, max_calls: int | None = None) -> str | None:
    """What is wrong with how archlang handled `text`, or None. Bounded by `max_calls` (calls
    counted while checking) and/or `limit_s` (CPU seconds, not wall time: on a shared machine a
    nice'd run is preempted for seconds)."""
    import archlang
    from archlang.present.render import encodable, render_json, render_text
    start = time.process_time()
    try:
        if max_calls is not None:
            got = []
            made = calls(lambda: got.append(archlang.check_text(text, strict=True)))
            if made > max_calls:
                return f"too much work: {made:,} calls, over {max_calls:,}"
            result = got[0]
        else:
            result = archlang.check_text(text, strict=True)
        for d in result.diagnostics:
            if d.span is None:
                return f"unpositioned diagnostic: {d.code} {d.message[:200]}"
            if d.code == "E0999":
                return f"internal error: {d.message[:300]} ({d.notes[0] if d.notes else ''})"
            shown = render_text(d)
            if any(not ch.isprintable() and ch != "\n" for ch in shown):
                return f"unescaped text in a diagnostic: {shown[:200]!r}"
            encodable(json.dumps(render_json(d), ensure_ascii=False)).encode("utf-8")
    except Exception as exc:      # noqa: BLE001 — the finding itself
        return f"exception: {type(exc).__name__}: {str(exc)[:300]}"
    took = time.process_time() - start
    if limit_s is not None and took > limit_s:
        return f"slow: {took:.1f} s of CPU"
    return None
