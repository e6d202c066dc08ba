"""Embeddings: token ids (integer indices) → vectors, a learned table looked up per token.

`Embedding(vocab => d)` takes a sequence of L token ids (`tokens: L of int`, Shape((L,), INT))
and gives the L×d float sequence of their rows, as PyTorch's nn.Embedding on N×L gives
N×L×d: a per-token layer, channels last (layers/layout.py).

Token ids are data, not positions in the spec, so they are 0-based as in every tokenizer and
in PyTorch: ids run 0..vocab−1 and `pad=0` names the id 0 (nn.Embedding's padding_idx=0),
while the spec's own positions (Select's dims, Chunk's part) stay 1-based as in Julia.
"""
from __future__ import annotations

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, ShapeProblem, register
from .layout import CHANNELS_LAST
from .shape import INT, Shape
from .torch_code import Call, TorchCode, kw


def _token_id(arg: A.Arg) -> int:
    return A.whole(arg, "a token id", minimum=0)


@register
@dataclass(frozen=True)
class Embedding(Layer):
    """A learned vocab×d table; token id t gives row t (0-based). MACs: none — a lookup
    copies a row and multiplies nothing."""

    vocab: int
    d: int
    pad: int | None = None

    kind = "Embedding"
    family = "dense"
    dtypes = (INT,)
    layout = CHANNELS_LAST
    summary = "a learned vector per token id (a lookup table): L token ids → L×d"
    schema = (
        Param("size", A.channels_pair, doc="vocabulary => vector size (or two numbers)", shown="vocab => d"),
        Param("pad", _token_id, default=None, positional=False,
              doc="the padding token id, 0-based as token ids are: its row stays zero and gets no gradient"),
    )

    @classmethod
    def prepare(cls, positional, keywords):
        # Embedding(10000, 100) is PyTorch's and Flux's positional form of 10000 => 100.
        if len(positional) >= 2 and not isinstance(positional[0].value, A.Pair):
            first, second, *rest = positional
            return [A.Arg(A.Pair(first, second), first.span.to(second.span)), *rest], keywords
        return positional, keywords

    @classmethod
    def from_bound(cls, bound, spans, alias):
        vocab, d = bound.pop("size")
        if vocab is None:
            raise ArgProblem("an Embedding's vocabulary cannot be inferred", spans.get("size.left"),
                             label="write the vocabulary size",
                             help="token ids carry no size: write e.g. `Embedding(50257 => 768)`")
        pad = bound.get("pad")
        if pad is not None and pad >= vocab:
            raise ArgProblem(f"the padding id {pad:,} is not a token id of a vocabulary of {vocab:,}",
                             spans.get("pad"), code="E0202", label=f"at most {vocab - 1:,}",
                             help=f"token ids are 0-based: 0 to {vocab - 1:,}")
        return cls(vocab=vocab, d=d, **bound)

    def infer(self, inputs):
        x = inputs[0]
        if not x.is_vector:
            raise ShapeProblem(
                "E0303", f"Embedding applied to {x.describe()}", label="expects a sequence of token ids",
                help="an Embedding looks up a sequence of L token ids (`tokens: L of int`)",
                blame_input=True)
        return Shape((x[0], self.d))

    def params(self) -> int:
        return self.vocab * self.d

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(Call("nn.Embedding", (self.vocab, self.d), kw(padding_idx=self.pad)))

    def args_text(self):
        out = [f"{self.vocab} => {self.d}"]
        if self.pad is not None:
            out.append(f"pad={self.pad}")
        return out
