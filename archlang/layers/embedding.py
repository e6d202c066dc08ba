"""Embeddings: token ids (integer indices) → vectors, a learned table looked up per token;
learned positions, a table looked up at positions 0..L−1.

`Embedding(vocab => d)` takes a sequence of L token ids (`tokens: L of int`, Shape((L,), INT))
and gives the L×d float sequence of their rows, as PyTorch's nn.Embedding on N×L gives
N×L×d: a per-token layer, channels last (layers/layout.py).

Token ids are data, not positions in the spec, so they are 0-based as in every tokenizer and
in PyTorch: ids run 0..vocab−1 and `pad=0` names the id 0 (nn.Embedding's padding_idx=0),
while the spec's own positions (Select's dims, Chunk's part) stay 1-based as in Julia.

`PositionEmbedding(n => d)` (or `Positions`) gives the first L rows of a learned n×d table for
a sequence of L tokens (ids or vectors: only its length is read): GPT-2's `wpe`, BERT's
position_embeddings, added to the token embeddings by a join (`e + PositionEmbedding(1024 =>
768)(tokens)`) or `SkipConnection(Positions(1024 => 768), +)` in a Chain. Compiled as an
nn.Embedding looked up at torch.arange(L), so that a Hugging Face state_dict maps onto it.
"""
from __future__ import annotations

from . import args as A
from ..records import dataclass
from .base import ArgProblem, Layer, Param, ShapeProblem, register
from .layout import CHANNELS_LAST
from .shape import FLOAT, INT, Shape
from .torch_code import Call, Template, TorchCode, kw


def _token_id(arg: A.Arg) -> int:
    return A.whole(arg, "a token id", minimum=0)


def _as_pair(positional: list) -> list:
    """`Embedding(10000, 100)`, PyTorch's and Flux's positional form, is 10000 => 100."""
    if len(positional) >= 2 and not isinstance(positional[0].value, A.Pair):
        first, second, *rest = positional
        return [A.Arg(A.Pair(first, second), first.span.to(second.span)), *rest]
    return positional


def _table_size(bound, spans, what: str) -> tuple[int, int]:
    rows, d = bound.pop("size")
    if rows is None:
        raise ArgProblem(f"{what} cannot be inferred", spans.get("size.left"), label="write a number",
                         help="token ids carry no size: write e.g. `Embedding(50257 => 768)`")
    return rows, d


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
        return _as_pair(positional), keywords

    @classmethod
    def from_bound(cls, bound, spans, alias):
        vocab, d = _table_size(bound, spans, "an Embedding's vocabulary")
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

    def weight_shape(self):
        return (self.vocab, self.d)

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(Call("nn.Embedding", (self.vocab, self.d), kw(padding_idx=self.pad)))

    def args_text(self):
        out = [f"{self.vocab} => {self.d}"]
        if self.pad is not None:
            out.append(f"pad={self.pad}")
        return out


# Where the positions are looked up: 0..L−1 for every sample of the batch (`{0}` is the layer's
# input, N×L ids or N×L×C vectors: its length is dim 1), as Hugging Face's GPT-2 and BERT do.
POSITIONS = "{self}(torch.arange({0}.shape[1], device={0}.device).expand({0}.shape[0], -1))"


@register
@dataclass(frozen=True)
class PositionEmbedding(Layer):
    """A learned n×d table of positions; a sequence of L ≤ n tokens gets rows 0..L−1 (L×d).
    No MACs: a lookup."""

    n: int
    d: int

    kind = "PositionEmbedding"
    names = ("Positions",)
    family = "dense"
    dtypes = (FLOAT, INT)
    layout = CHANNELS_LAST
    summary = "learned positions: a sequence of L tokens → the first L rows of an n×d table"
    schema = (Param("size", A.channels_pair, doc="positions => vector size (or two numbers)",
                    shown="positions => d"),)

    @classmethod
    def prepare(cls, positional, keywords):
        return _as_pair(positional), keywords

    @classmethod
    def from_bound(cls, bound, spans, alias):
        n, d = _table_size(bound, spans, "the number of positions")
        return cls(n=n, d=d)

    def infer(self, inputs):
        x = inputs[0]
        if x.rank > 1 or (x.is_vector and x.dtype == FLOAT):
            raise ShapeProblem(
                "E0303", f"{self.kind} applied to {x.describe()}", label="expects a sequence",
                help="positions are looked up for a sequence: L token ids (`tokens: L of int`) "
                     "or an L×C sequence", blame_input=True)
        length = x[0]
        if length > self.n:
            raise ShapeProblem(
                "E0313", f"a sequence of {length:,} tokens is longer than the {self.n:,} positions "
                f"of {self}", label=f"has {self.n:,} positions", arg="size.left", blame_input=True,
                output=Shape((length, self.d)),
                help=f"positions are learned for at most {self.n:,} tokens: shorten the input to "
                     f"{self.n:,} or enlarge the table to {self.kind}({length} => {self.d})")
        return Shape((length, self.d))

    def params(self) -> int:
        return self.n * self.d

    def weight_shape(self):
        return (self.n, self.d)

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(Call("nn.Embedding", (self.n, self.d)), call=Template(POSITIONS))

    def args_text(self):
        return [f"{self.n} => {self.d}"]
