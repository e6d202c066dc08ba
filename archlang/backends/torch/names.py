"""Names and text from a spec made safe for Python source: identifiers, docstrings, shapes."""
from __future__ import annotations

import keyword
import unicodedata

from .tables import RESERVED


# ---- names -------------------------------------------------------------------------------
def _words(name: str) -> list[str]:
    """ASCII words of a spec name: 'BasicBlock' → [Basic, Block]; 'σ' → [sigma]."""
    words, cur = [], ""
    for ch in name:
        if ch.isascii() and ch.isalnum():
            if cur and ch.isupper() and (cur[-1].islower() or cur[-1].isdigit()):
                words.append(cur)
                cur = ""
            cur += ch
            continue
        if cur:
            words.append(cur)
            cur = ""
        if not ch.isascii() and ch.isalnum():
            uname = unicodedata.name(ch, "")
            words.append(uname.split()[-1].lower() if uname and uname.split()[-1].isalnum()
                         else f"u{ord(ch):04x}")
    if cur:
        words.append(cur)
    return words or ["unnamed"]


def safe_identifier(text: str, taken=()) -> str:
    """A valid, non-reserved Python identifier not in `taken` (keyword → `class_`)."""
    text = text.lstrip("_")          # no dunders, no private names
    if not text.isidentifier():
        text = "n" + text if text[:1].isdigit() and text.isalnum() else "unnamed"
    while keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in RESERVED:
        text += "_"
    base, i = text, 2
    while text in taken:
        text = f"{base}{i}" if not base[-1].isdigit() else f"{base}_{i}"
        i += 1
    return text


def camel(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in _words(name))


def snake(name: str) -> str:
    return "_".join(w.lower() for w in _words(name))


def plain(name: str) -> str:
    """A parameter name kept as written where it is ASCII: `cin`, `c3r`."""
    return "_".join(_words(name))


def doc_text(text: str) -> str:
    """Text safe inside a \"\"\"docstring\"\"\" or a comment: no quotes, backslashes or line breaks."""
    out = []
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii").replace("\\", "\\\\"))
        else:
            out.append(ch)
    return "".join(out)

