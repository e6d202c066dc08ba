"""Turn Lark's raw parse failures into named mistakes (as Lark's `match_examples` does).

The table of bad inputs below is kept beside the grammar: when a spec fails to parse, we
find the example that fails in the same parser state (however deep the spec's error is) on
the same token, and report that mistake by name with a fix. Bracket problems are found by a
scan before parsing.
"""
from __future__ import annotations

import re

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import Diagnostic, Label
from ..limits import MAX_NAME_LENGTH
from ..source import Source, Span
from ..suggest import did_you_mean
from ..vocabulary import builtin
from .lexicon import DEFINITION_KEYWORDS, STRINGS

# label → examples that fail in the same way. Each label is a key of MISTAKES below.
EXAMPLES: dict[str, list[str]] = {
    "missing_comma": [
        "model m(x: 1) = Chain(relu relu)",
        "model m(x: 1) = Chain(Dense(1, 1) Dense(1, 1))",
        "model m(x: 1) = Chain(relu, Dense(1, 1) relu)",
        "model m(x: 1) = Dense(1 1)",
        "model m(x: 1) = Conv((3, 3) 1 => 1)",
        "model m(x: 1) = Conv((3 3), 1 => 1)",
        "model m(x: 1) = Chain(relu, 1 relu)",
        'model m(x: 1) = Chain(relu "a")',
        "model m(x: 1) = Chain(a => b c)",
        "model m(x: 1) = Chain(a * b c)",
        "model m(x: 1) = Chain(a(b) 1)",
    ],
    "missing_return": [
        "model m(x: 1) = { h = relu(x) }",
        "model m(x: 1) = { }",
        "model m(x: 1) = { h = relu(x), }",
    ],
    "missing_value": [
        "model m(x: 1) = { h = }",
        "model m(x: 1) = { h = relu(x) g = }",
    ],
    "missing_input_shape": [
        "model m(x) = relu",
        "model m() = relu",
        "model m(x:) = relu",
    ],
    "missing_model_input": [
        "model m = relu",
        "model m: 1 = relu",
    ],
    "missing_equals": [
        "model m(x: 1) relu",
        "model m(x: 1) Chain(relu)",
        "block b(c) relu",
        "block b(c) Chain(relu)",
    ],
    "missing_body": [
        "model m(x: 1) =",
        "model m(x: 1) = model n(x: 1) = relu",
        "block b(c) =",
    ],
    "pair_typo": [
        "model m(x: 1) = Conv((3, 3), 1 = 8)",
        "model m(x: 1) = Conv((3, 3), 1 = > 8)",
        "model m(x: 1) = Dense(a = > 8)",
    ],
    "empty_argument": [
        "model m(x: 1) = Dense(1,, 2)",
        "model m(x: 1) = Dense(, 2)",
        "model m(x: 1) = Chain(relu,,)",
    ],
    "missing_operand": [
        "model m(x: 1) = Conv((3, 3), 1 => )",
        "model m(x: 1) = Conv((3, 3), 1 => ,)",
        "model m(x: 1) = Dense(1 * )",
        "model m(x: 1) = Dense(1 + , 2)",
        "model m(x: 1 × ) = relu",
        "model m(x: 1) = Dense(4 ÷ )",
        "model m(x: 1) = Dense(stride = )",
        "model m(x: 1) = Dense(stride = , 1)",
    ],
    "numbered_without_layer": [
        "model m(x: 1) = Chain(1: relu 2: 3: relu)",
    ],
    "definition_expected": [
        "relu",
        "model m(x: 1) = relu relu",
        "model m(x: 1) = relu 1",
        "Chain(relu)",
    ],
    "missing_model_name": [
        "model (x: 1) = relu",
        "block (c) = relu",
        "block b = relu",
    ],
}

# label → (code, message template, help). `{found}` is the offending token as written.
MISTAKES: dict[str, tuple[str, str, str | None]] = {
    "missing_comma": ("E0003", "missing comma before {found}",
                      "separate the arguments of `{call}` with commas"),
    "missing_return": ("E0020", "the graph body of `{name}` has no `return`",
                       "end the body with the outputs: `return h` (or `return box, cls`)"),
    "missing_value": ("E0011", "expected a value after `=`, found {found}",
                      "write the value, e.g. `h = relu(x)`, or remove the statement"),
    "missing_input_shape": ("E0006", "missing input shape",
                            "a model names its input and its shape: `model {name}(x: 28×28×1) = ...`"),
    "missing_model_input": ("E0006", "missing input shape: expected `(`, found {found}",
                            "a model names its input and its shape: `model {name}(x: 28×28×1) = ...`"),
    "missing_equals": ("E0007", "expected `=` before the definition's body, found {found}",
                       "write `= ` between the header and the body: `model m(x: 784) = Chain(...)`"),
    "missing_body": ("E0008", "the definition has no body: expected a layer, found {found}",
                     "write the layers after `=`, e.g. `= Chain(Dense(784, 10))`"),
    "pair_typo": ("E0004", "expected `=>` between the input and output sizes, found {found}",
                  "pairs are written `in => out` (one token `=>`, no space inside), as in `1 => 8`"),
    "empty_argument": ("E0010", "expected an argument, found {found}",
                       "remove the extra comma"),
    "missing_operand": ("E0011", "expected a value, found {found}",
                        "an operator needs a value on both sides"),
    "numbered_without_layer": ("E0012", "a numbered line has no layer",
                               "every numbered line needs a layer; Metalhead prints `#44` for its "
                               "reshape: write `flatten`"),
    "definition_expected": ("E0013", "expected a definition (`model`, `block`, `import` or `train`), "
                                     "found {found}",
                            "a model is written `model NAME(x: 28×28×1) = Chain(...)`; if this "
                            "continues the previous layer list, check its parentheses"),
    "julia_symbol": ("E0002", "expected an argument, found `:`",
                     "Julia's symbols are bare names here: write `{symbol}` for `:{symbol}`"),
    "missing_model_name": ("E0014", "expected a name after the keyword, found {found}",
                           "name the definition: `model mlp(x: 784) = ...`, `block Res(c) = ...`"),
}

# How a diagnostic names what the parser expected: a string terminal as written (named by
# the grammar), a pattern terminal in words.
_TOKEN_WORDS = {**{name: f"`{text}`" for name, text in STRINGS.items()},
                "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "ASCII_SHAPE": "a shape",
                "$END": "end of file"}


def _describe_expected(names) -> str:
    words = sorted({_TOKEN_WORDS.get(n, n.lower()) for n in names if not n.startswith("__")})
    if len(words) > 6:
        return "an expression or punctuation"
    if len(words) <= 1:
        return "".join(words) or "something else"
    return ", ".join(words[:-1]) + " or " + words[-1]


def _found(err: UnexpectedInput, source: Source) -> str:
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        return "end of file"
    tok = err.token
    text = str(tok).strip()
    return f"`{text}`" if text else "end of file"


_BRACKETS = {"(": ")", "{": "}", "[": "]"}
_CLOSERS = {v: k for k, v in _BRACKETS.items()}


def _scan(text: str):
    """Yield (offset, char) for every bracket outside comments and strings."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in _BRACKETS or ch in _CLOSERS:
            yield i, ch
        i += 1


# The name written before a bracket, spaces between allowed: looked for only in the
# CALLEE_LOOK_BACK characters before it (a name is at most MAX_NAME_LENGTH long), so that an
# error in a long text costs the same. The expression is linear in what it reads: it starts
# only where a word starts (`(?<!\w)`) and never gives back what it took (possessive).
# Searching `([^\W\d]\w*)\s*$` over the whole text instead restarted at every letter of a
# long word: 20 KB took 8 s.
CALLEE_LOOK_BACK = 4 * MAX_NAME_LENGTH
_CALLEE = re.compile(r"(?<!\w)\d*+([^\W\d]\w*+)\s*+\Z")


def _callee_before(text: str, open_offset: int) -> str | None:
    """The name right before the bracket at `open_offset` (as in `Dense (`), or None: none
    there, or a word reaching further back than CALLEE_LOOK_BACK (longer than any name)."""
    m = _CALLEE.search(text, max(0, open_offset - CALLEE_LOOK_BACK), open_offset)
    return m.group(1) if m else None


def enclosing_call(source: Source, offset: int) -> str | None:
    """The name of the innermost call whose `(` is open at `offset`."""
    stack = []
    for i, ch in _scan(source.text[:offset]):
        if ch in _BRACKETS:
            stack.append(i)
        elif stack:
            stack.pop()
    for i in reversed(stack):
        name = _callee_before(source.text, i)
        if name:
            return name
    return None


def bracket_problem(source: Source, max_nesting: int) -> Diagnostic | None:
    """Unclosed, unmatched or too deeply nested brackets, found in one linear scan."""
    stack: list[tuple[int, str]] = []
    for i, ch in _scan(source.text):
        if ch in _BRACKETS:
            stack.append((i, ch))
            if len(stack) > max_nesting:
                return Diagnostic(
                    "E0009", f"brackets nested more than {max_nesting} levels deep", source.span(i),
                    label="too deep", help="split the network into blocks (`block NAME(...) = ...`)")
            continue
        if not stack:
            return Diagnostic("E0005", f"unmatched `{ch}`", source.span(i),
                              label="no `(` opens this" if ch == ")" else f"no `{_CLOSERS[ch]}` opens this",
                              help="remove it, or add the missing opening bracket")
        j, opener = stack.pop()
        if _BRACKETS[opener] != ch:
            return Diagnostic("E0005", f"`{opener}` closed by `{ch}`", source.span(i),
                              label=f"expected `{_BRACKETS[opener]}`",
                              labels=(Label(source.span(j), "opened here"),),
                              help=f"close it with `{_BRACKETS[opener]}`")
    if stack:
        j, opener = stack[-1]
        callee = _callee_before(source.text, j)
        what = f"`{callee}(`" if callee and opener == "(" else f"`{opener}`"
        return Diagnostic("E0005", f"unclosed {what}", source.span(j),
                          label="this bracket is never closed",
                          help=f"add `{_BRACKETS[opener]}` where the list ends")
    return None


def _character_error(source: Source, err: UnexpectedCharacters) -> Diagnostic:
    pos = err.pos_in_stream
    ch = source.text[pos]
    span = source.span(pos)
    before = source.text[:pos].rstrip()
    if ch == ">" and before.endswith(("-", "=")):
        arrow_start = len(before) - 1
        written = source.text[arrow_start:pos + 1]
        return Diagnostic("E0004", f"`{written}` is not an arrow in archlang; expected `=>`",
                          Span(source, arrow_start, pos + 1), label="write `=>`",
                          help="pairs are written `in => out`, as in `Conv((5, 5), 1 => 8)`")
    if ch == "'":
        return Diagnostic("E0001", "unexpected `'`", span, label="strings use double quotes",
                          help='write "path.arch"')
    if not ch.isprintable() and ch not in "\t\r\n":
        return Diagnostic("E0001", f"unexpected character U+{ord(ch):04X}", span,
                          label="not text", help="an .arch spec is UTF-8 text; is this the right file?")
    return Diagnostic("E0001", f"unexpected character `{ch}`", span,
                      label=f"expected {_describe_expected(err.allowed or [])}" if err.allowed else "",
                      help=None)


_OPERATOR_END = ("=>", "+", "-", "*", "/", "÷", "^", "×", "=")


def _fallback_label(source: Source, err: UnexpectedInput, span: Span) -> str | None:
    """Mistakes whose parser states are too many to list as examples."""
    tok = getattr(err, "token", None)
    if tok is not None and tok.type == "COLON":
        return "numbered_without_layer"
    before = re.sub(r"#[^\n]*", "", source.text[:span.start]).rstrip()
    if tok is not None and tok.type in ("RPAR", "COMMA", "$END") and before.endswith(_OPERATOR_END):
        return "missing_operand"
    return None


def _is_julia_symbol(source: Source, err: UnexpectedInput, span: Span) -> bool:
    """`Upsample(:nearest)`: a `:` where an argument starts, right before a name."""
    if getattr(getattr(err, "token", None), "type", None) != "COLON":
        return False
    before = re.sub(r"#[^\n]*", "", source.text[:span.start]).rstrip()
    return before.endswith(("(", ",", ";", "=")) and \
        re.match(r"[^\W\d]", source.text[span.end:span.end + 1]) is not None


def _match_examples(err: UnexpectedInput, parse) -> str | None:
    """The label of the example that fails as `err` does, or None: Lark's `match_examples`,
    comparing the parser's state without the depth of its stack. Lark's compares the depth
    too, so that an example named a mistake only as deep as it is written: a missing comma
    inside a nested call, or in any definition after a file's first, went unnamed. (Lark's
    also raises where two examples share a state with other accepted tokens.) An example
    failing on the same token wins; else the first failing in the same state."""
    position = getattr(err.state, "position", None)
    if position is None:
        return None
    token = getattr(err, "token", None)
    candidate = None
    for label, texts in EXAMPLES.items():
        for text in texts:
            try:
                parse(text)
            except UnexpectedInput as ut:
                if getattr(ut.state, "position", None) != position:
                    continue
                if isinstance(err, UnexpectedToken) and isinstance(ut, UnexpectedToken) and ut.accepts != err.accepts:
                    continue
                if token is not None and getattr(ut, "token", None) == token:
                    return label
                candidate = candidate or label
    return candidate


def describe_parse_error(source: Source, err: UnexpectedInput, parse) -> Diagnostic:
    """A named Diagnostic for a Lark parse failure."""
    if isinstance(err, UnexpectedCharacters):
        return _character_error(source, err)
    if isinstance(err, UnexpectedEOF):
        span = source.span(len(source.text.rstrip()) or 0)
    else:
        tok = err.token
        start = tok.start_pos if tok.start_pos is not None else len(source.text)
        end = tok.end_pos if tok.end_pos is not None else start + 1
        span = Span(source, start, max(end, start + 1))
    found = _found(err, source)
    label = "julia_symbol" if _is_julia_symbol(source, err, span) else None
    label = label or _match_examples(err, parse)
    if label is None:
        label = _fallback_label(source, err, span)
    call = enclosing_call(source, span.start) or "the list"
    # The definition the error is in: the last header before it (within 200 characters).
    names = re.findall(r"(?<!\w)(?:model|block)\s+([^\W\d]\w*)",
                       source.text[max(0, span.start - 200):span.start])
    symbol = re.match(r":\s*([^\W\d]\w*)", source.text[span.start:span.start + 80])
    fmt = {"found": found, "call": call, "name": names[-1] if names else "m",
           "symbol": symbol.group(1) if symbol else "nearest"}
    if label is not None:
        code, message, help_text = MISTAKES[label]
        message = message.format(**fmt)
        help_text = help_text.format(**fmt) if help_text else None
        word = found.strip("`")
        if label == "definition_expected" and word not in DEFINITION_KEYWORDS and not builtin(word):
            # `modle m(...)` is a misspelt keyword; `Chain(...)` is a body without its header.
            hint = did_you_mean(word, DEFINITION_KEYWORDS)
            if hint and isinstance(err, UnexpectedToken) and err.token.type == "NAME":
                help_text = hint
        if label == "numbered_without_layer":
            # `22: #44` then `23: Dense(...)` reads as `22: 23` and fails at the second colon:
            # the label without a layer is the one before the number the parser took as a layer.
            before = source.text[:span.start]
            m = list(re.finditer(r"(?<!\d)(\d++)\s*+:", before))   # linear: no restart in a number
            if m:
                lab = m[-1]
                span = Span(source, lab.start(), lab.end())
                message = f"the numbered line `{lab.group(0)}` has no layer"
        labels = {"missing_comma": "expected `,` before this",
                  "pair_typo": "expected `=>`",
                  "numbered_without_layer": "no layer after this label",
                  "missing_input_shape": "expected `NAME: SHAPE`",
                  "julia_symbol": "no `:` before a name",
                  "missing_return": "expected `return` before this",
                  "missing_value": "expected a value"}
        return Diagnostic(code, message, span, label=labels.get(label, ""), help=help_text)
    expected = getattr(err, "expected", None) or getattr(err, "accepts", None) or []
    return Diagnostic("E0002", f"expected {_describe_expected(expected)}, found {found}", span,
                      label="unexpected here")
