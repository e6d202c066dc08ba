"""A POST body of the playground's API → the arguments of its job, or a BadRequest.

Every check here runs before the body reaches the JSON parser or a worker, and each is linear in
the body: a body is UTF-8 (strictly), JSON nested at most MAX_JSON_DEPTH deep (Python's parser
recurses, so 100,000 `[` would raise RecursionError inside it), an object with a "text" string
(and an integer "offset" for hover) whose characters are Unicode scalar values: a `\\ud800`
escape decodes to a lone surrogate, which no file can hold and which UTF-8 cannot encode, so
it would fail only later, while the answer is written.
"""
from __future__ import annotations

import json
import re
from http import HTTPStatus

MAX_JSON_DEPTH = 16            # the API needs 1: {"text": ..., "offset": ...}

# A JSON string or a bracket, scanned left to right in one pass. The string's pattern is unrolled
# (no nested alternation) and also matches an unterminated string up to the end, so a match
# never fails after a long scan (which, retried from each quote, would be quadratic).
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadRequest(Exception):
    """A request the server answers with `status` and {"error": message}."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings are
    not counted); linear, with no recursion."""
    depth = deepest = 0
    for token in _TOKEN.finditer(body):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in (b"]", b"}"):
            depth -= 1
    return deepest


def job_arguments(body: bytes, wants_offset: bool) -> list:
    """[text] (or [text, offset] when wants_offset) from a request body; BadRequest otherwise."""
    expected = 'expected {"text": "..."' + (', "offset": N}' if wants_offset else "}")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest(HTTPStatus.BAD_REQUEST,
                         f"the body is not UTF-8 (byte {err.start} is not valid)") from None
    if json_depth(body) > MAX_JSON_DEPTH:
        raise BadRequest(HTTPStatus.BAD_REQUEST,
                         f"the JSON is nested more than {MAX_JSON_DEPTH} deep; {expected}")
    try:
        data = json.loads(body or b"{}")
    except ValueError as err:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"not JSON ({err}); {expected}") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str) or wants_offset and (
            type(data.get("offset")) is not int):
        raise BadRequest(HTTPStatus.BAD_REQUEST, expected)
    text = data["text"]
    bad = _SURROGATE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise BadRequest(HTTPStatus.BAD_REQUEST,
                         f"the text holds a lone UTF-16 surrogate (\\u{ord(bad.group()):04x}) "
                         f"on line {line}: it is not a character and has no UTF-8 encoding")
    return [text, data["offset"]] if wants_offset else [text]
