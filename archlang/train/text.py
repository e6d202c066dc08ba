"""Text as training data: a vocabulary of characters or bytes, language-model windows (each
sample's targets are its tokens shifted by one) and labelled lines for sequence
classification. Every source returns token ids as int64, N×L: the model's input
`tokens: L of int` sets L.

    text(PATH)           a UTF-8 text file, character level (or level=byte)
    kjv / text()         the bundled Book of Genesis (texts/README.md: source, licence)
    text_classes(PATH)   `label<TAB>text` lines, padded or cut to L

A language model's validation windows come from the end of the text (its last `val`
share, 10% by default), never from inside the training part: overlapping windows drawn at
random would put validation text into training.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .dataset import Dataset
from .errors import TrainError
from .layout import format_shape

BUNDLED = Path(__file__).resolve().parent / "texts" / "genesis.txt"
LEVELS = ("char", "byte")
PAD = "<pad>"                    # id 0 of a classification vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """How text becomes token ids and back. `level` "char": the ids number `chars` (the
    sorted characters of the text the vocabulary was made from); "byte": the ids are the
    UTF-8 bytes, 256 of them. With `pad`, id 0 is padding (sequence classification) and
    every other id is one more. A run folder keeps it (checkpoint "vocab", vocab.json) so
    that `predict` encodes prompts and decodes samples the way training did."""

    level: str
    chars: tuple[str, ...] = ()
    pad: bool = False

    @classmethod
    def of(cls, text: str, level: str = "char", pad: bool = False) -> "Vocabulary":
        if level not in LEVELS:
            raise TrainError(f"unknown text level `{level}`", "use level=char or level=byte")
        return cls(level, tuple(sorted(set(text))) if level == "char" else (), pad)

    @property
    def size(self) -> int:
        """The number of ids: what the model's Embedding and output layer must take."""
        return (len(self.chars) if self.level == "char" else 256) + self.pad

    def unknown(self, text: str) -> list[str]:
        """The characters of `text` this vocabulary has no id for, in order of appearance."""
        if self.level == "byte":
            return []
        known = set(self.chars)
        return list(dict.fromkeys(c for c in text if c not in known))

    def encode(self, text: str) -> np.ndarray:
        """The ids of `text` (int64); TrainError naming characters outside the vocabulary."""
        if self.level == "byte":
            ids = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
        else:
            missing = self.unknown(text)
            if missing:
                raise TrainError(f"the characters {quoted(missing)} are not in the "
                                 f"vocabulary of {len(self.chars)} characters",
                                 "use only characters of the text the model was trained on")
            index = {c: i for i, c in enumerate(self.chars)}
            ids = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
        return ids + self.pad

    def decode(self, ids) -> str:
        """The text of `ids` (padding dropped; a byte sequence that is not UTF-8 shows U+FFFD)."""
        ids = [int(i) - self.pad for i in ids if not (self.pad and int(i) == 0)]
        if self.level == "byte":
            return bytes(ids).decode("utf-8", errors="replace")
        return "".join(self.chars[i] for i in ids)

    def to_dict(self) -> dict:
        return {"level": self.level, "pad": self.pad, "chars": "".join(self.chars)}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocabulary":
        return cls(str(d["level"]), tuple(d.get("chars") or ()), bool(d.get("pad", False)))


def quoted(chars) -> str:
    """'a', 'b' and 3 more: characters as a message names them."""
    shown = ", ".join(repr(c) for c in chars[:12])
    return shown + (f" and {len(chars) - 12} more" if len(chars) > 12 else "")


def read_text(path) -> str:
    """A UTF-8 text file; TrainError for a missing, binary or empty one."""
    path = Path(path)
    if not path.is_file():
        raise TrainError(f"no such text file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise TrainError(f"{path} is not UTF-8 text (byte {err.start}: {err.reason})",
                         "give a UTF-8 text file") from None
    except OSError as err:
        raise TrainError(f"cannot read {path}: {err.strerror or err}") from None
    if not text:
        raise TrainError(f"{path} is empty")
    return text


def context_length(spec_shape, source: str) -> int:
    """L of a model input `tokens: L of int`; TrainError for any other input."""
    shape = (spec_shape,) if isinstance(spec_shape, int) else tuple(spec_shape)
    dtype = getattr(spec_shape, "dtype", "int")     # a bare tuple carries no dtype
    if len(shape) != 1 or dtype != "int":
        raise TrainError(f"{source} gives sequences of token ids, but the spec's input is "
                         f"{format_shape(shape)}" + ("" if dtype == "int" else f" of {dtype}"),
                         "give the model an input of token ids, e.g. `tokens: 64 of int`, "
                         "followed by Embedding(vocab => d)")
    return int(shape[0])


# --- language-model windows --------------------------------------------------------------

def text(spec_shape, path=None, level: str = "char", part: str = "train", val: float = 0.1,
         stride: int | None = None) -> Dataset:
    """Language-model samples of the text file `path` (None: the bundled Genesis).

    The ids of the whole text (one vocabulary for both parts) are cut at 1 − `val`: `part`
    "train" takes the windows of the first share, "val" those of the rest. A window is
    L + 1 consecutive tokens: x its first L, y its last L (the next token at each
    position); windows start every `stride` tokens (default L, so that every token is a
    target once per epoch)."""
    source = "text" if path is not None else "kjv"
    length = context_length(spec_shape, source)
    content = read_text(BUNDLED if path is None else path)
    vocab = Vocabulary.of(content, level)
    stride = length if stride is None else stride
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise TrainError(f"{source}: `stride` must be a whole number ≥ 1, got {stride!r}")
    if isinstance(val, bool) or not isinstance(val, (int, float)) or not 0 < val < 1:
        raise TrainError(f"{source}: `val` is the validation share of the text, in (0, 1); "
                         f"got {val!r}", "e.g. val=0.1: the last tenth of the text")
    if part not in ("train", "val"):
        raise TrainError(f"{source}: unknown part `{part}`", "use part=train or part=val")
    ids = torch.from_numpy(vocab.encode(content))
    cut = int(round(len(ids) * (1 - val)))
    piece = ids[:cut] if part == "train" else ids[cut:]
    if len(piece) < length + 1:
        raise TrainError(f"{source}: the {part} part of {Path(path or BUNDLED).name} has "
                         f"{len(piece):,} tokens, fewer than one window of {length} + 1",
                         "use a longer text or a shorter context (the model's input length)")
    windows = piece.unfold(0, length + 1, stride)                # N × (L+1)
    name = f"text:{Path(path).name}" if path is not None else "kjv"
    return Dataset(windows[:, :-1].contiguous(), windows[:, 1:].contiguous(), name,
                   vocab=vocab)


def kjv(spec_shape, level: str = "char", part: str = "train", val: float = 0.1,
        stride: int | None = None) -> Dataset:
    """The bundled Book of Genesis (King James Version, public domain): `text` of it."""
    return text(spec_shape, None, level, part, val, stride)


# --- sequence classification -------------------------------------------------------------

def text_classes(spec_shape, path=None, level: str = "char") -> Dataset:
    """Labelled texts for sequence classification: a file of `label<TAB>text` lines
    (blank lines skipped; a first line `label<TAB>text` is a header). Labels that are all
    integers are the class numbers; otherwise the sorted label names are classes 0 … K−1.
    Each text is encoded with a vocabulary whose id 0 is padding, then cut to the model's
    input length L or padded at its end with 0."""
    if path is None:
        raise TrainError("text_classes needs a file of `label<TAB>text` lines",
                         "e.g. --data \"text_classes(data/reviews.tsv)\"")
    length = context_length(spec_shape, "text_classes")
    lines = [line for line in read_text(path).splitlines() if line.strip()]
    if lines and lines[0].lower().split("\t")[:2] == ["label", "text"]:
        lines = lines[1:]
    labels, texts = [], []
    for number, line in enumerate(lines, 1):
        label, tab, body = line.partition("\t")
        if not tab or not label.strip():
            raise TrainError(f"{path}: line {number} is not `label<TAB>text`: {line[:60]!r}",
                             "separate each line's label from its text by a tab")
        labels.append(label.strip())
        texts.append(body)
    if not texts:
        raise TrainError(f"{path} holds no labelled lines", "write `label<TAB>text` lines")
    vocab = Vocabulary.of("".join(texts), level, pad=True)
    x = torch.zeros(len(texts), length, dtype=torch.int64)          # 0: padding
    for i, body in enumerate(texts):
        ids = vocab.encode(body)[:length]
        x[i, :len(ids)] = torch.from_numpy(ids)
    classes = None
    if all(_is_int(label) for label in labels):
        y = torch.tensor([int(label) for label in labels], dtype=torch.int64)
        if int(y.min()) < 0:
            raise TrainError(f"{path}: the label {int(y.min())}; class numbers count from 0")
    else:
        classes = sorted(set(labels))
        number = {c: i for i, c in enumerate(classes)}
        y = torch.tensor([number[label] for label in labels], dtype=torch.int64)
    return Dataset(x, y, f"text_classes:{Path(path).name}", classes=classes, vocab=vocab)


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


# Sources that take the spec's input shape first (data.py calls them with it), and those
# whose validation part is their own (the end of the text) rather than a random split.
SOURCES = {"text": text, "kjv": kjv, "text_classes": text_classes}
OWN_VALIDATION = ("text", "kjv")
