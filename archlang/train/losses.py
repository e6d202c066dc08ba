"""Loss functions and the accuracy count that goes with each, by config name."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..diagnostics import Problem
from ..ir.loss import Loss, LossTerm
from ..layers.layout import CHANNELS_FIRST, CHANNELS_LAST
from ..ir.trainconfig import TrainError, to_loss


class CrossEntropy:
    """Softmax cross-entropy on logits, with int labels (N) or probability targets (N×K).

    A spec may end in `softmax` (Flux's `crossentropy` takes probabilities); the first batch
    tells: if the outputs are non-negative rows summing to 1 the loss becomes the negative
    log-likelihood of those probabilities instead of softmaxing them twice.
    """

    def __init__(self):
        self.probabilities: bool | None = None

    def __call__(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.probabilities is None:  # one sync, on the first batch only
            self.probabilities = bool(out.dim() == 2 and out.shape[1] > 1 and out.min() >= 0
                                      and (out.sum(1) - 1).abs().max() < 1e-3)
        if self.probabilities:
            logp = out.clamp_min(1e-12).log()
            return F.nll_loss(logp, y) if y.dim() == 1 else -(y * logp).sum(1).mean()
        return F.cross_entropy(out, y)

    @staticmethod
    def correct(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        labels = y if y.dim() == 1 else y.argmax(1)
        return (out.argmax(1) == labels).sum()

    @staticmethod
    def class_labels(y: torch.Tensor) -> torch.Tensor:
        """The class each target names; accuracy is argmax(output) == this."""
        return y if y.dim() == 1 else y.argmax(1)


class MeanSquared:
    """Mean squared error; int labels are one-hot encoded to the output width (the book's
    dense models trained with mse). Accuracy counts argmax matches for class targets."""

    def __call__(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if y.dtype == torch.int64 and out.dim() == 2:
            y = F.one_hot(y, out.shape[1]).to(out.dtype)
        return F.mse_loss(out, y.to(out.dtype).reshape(out.shape))

    @staticmethod
    def correct(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
        if y.dtype == torch.int64 and out.dim() == 2:
            return (out.argmax(1) == y).sum()
        if y.dim() == 2 and out.dim() == 2 and y.shape[1] == out.shape[1] > 1:
            return (out.argmax(1) == y.argmax(1)).sum()
        return None  # regression: no accuracy

    @staticmethod
    def class_labels(y: torch.Tensor) -> torch.Tensor | None:
        if y.dtype == torch.int64 and y.dim() == 1:
            return y
        return y.argmax(1) if y.dim() == 2 and y.shape[1] > 1 else None


class Localization:
    class_labels = None  # accuracy is not a plain argmax; see correct

    """The localization loss of the book's §5.8.1. Targets y = [p_c, x, y, h, w, p_1, ...]:
    per sample, loss = (ŷ₁ − y₁)² when no object is present (p_c = 0), else Σᵢ (ŷᵢ − yᵢ)²;
    averaged over the batch.

    Accuracy: the presence guess (ŷ₁ > 0.5) is right and, when an object is present, so
    is the class (argmax over p_1, ...); box coordinates are judged by the loss only.
    """

    def __call__(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        sq = (out - y.to(out.dtype)) ** 2
        return torch.where(y[:, 0] == 0, sq[:, 0], sq.sum(1)).mean()

    @staticmethod
    def correct(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        present = y[:, 0] > 0.5
        ok = (out[:, 0] > 0.5) == present
        if y.shape[1] > 5:
            ok &= ~present | (out[:, 5:].argmax(1) == y[:, 5:].argmax(1))
        return ok.sum()


class NextToken:
    """Cross-entropy at every position of a sequence output: scores over V tokens against
    targets y of N×L token ids, the mean over all N·L positions, so that exp(loss) is the
    perplexity. A language model's targets are its inputs shifted by one (text.py).

    The output comes as the module returns it: N×L×V channels last (attention, recurrent
    and per-token Dense heads) or N×V×L channels first (a convolution's); `layout` says
    which (the back end's choice, backends/torch/layout.py, recorded by the CLI). Without
    a layout the shapes tell: the axis of length L holds the positions, the last one when
    both are L (V = L).
    """

    class_labels = None    # no accuracy: the perplexity scores a language model

    def __init__(self, layout: str | None = None):
        self.layout = layout

    def channels_last(self, out: torch.Tensor, y: torch.Tensor) -> bool:
        if self.layout in (CHANNELS_FIRST, CHANNELS_LAST):
            return self.layout == CHANNELS_LAST
        return out.shape[1] == y.shape[1]

    def vocabulary(self, out: torch.Tensor, y: torch.Tensor) -> int:
        """V: the size of the output's token axis."""
        return int(out.shape[2] if self.channels_last(out, y) else out.shape[1])

    def __call__(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.channels_last(out, y):      # N×L×V: one row of scores per token
            return F.cross_entropy(out.reshape(-1, out.shape[2]), y.reshape(-1))
        return F.cross_entropy(out, y)      # N×V×L, PyTorch's K-dimensional form

    @staticmethod
    def correct(out: torch.Tensor, y: torch.Tensor) -> None:
        return None


KINDS = {"crossentropy": CrossEntropy, "mse": MeanSquared, "localization": Localization,
         "next_token": NextToken}


def make_loss(name: str, layout: str | None = None):
    """A fresh loss object for a config loss name (crossentropy | mse | localization |
    next_token); `layout`: the layout of the output it scores (only next_token reads it)."""
    return NextToken(layout) if name == "next_token" else KINDS[name]()


def for_targets(loss: Loss | str, out, y: torch.Tensor) -> Loss:
    """The loss to train with: next_token in place of the default `crossentropy` when the
    targets are token ids per position (y N×L int64) and the model returns one sequence of
    scores (N×L×V or N×V×L), as a language model on text data does; else `loss`."""
    loss = to_loss(loss)
    if str(loss) == "crossentropy" and isinstance(out, torch.Tensor) and out.dim() == 3 \
            and y.dtype == torch.int64 and y.dim() == 2 and y.shape[1] in out.shape[1:]:
        return Loss((LossTerm(1.0, "next_token"),))
    return loss


class Objective:
    """The training loss of a config's `loss` setting for a model's outputs.

    `loss` is the setting lowered once (archlang/ir/loss.py: weighted terms over named
    outputs; a string is read into one). `output_names` are the names of a multi-output
    module's outputs (its class attribute `output_names`), or None for a module returning
    one tensor. Each term takes its outputs from the tuple by name; several outputs of one
    term are concatenated along the features (localization(box, cls) scores
    [p_c, x, y, h, w | p_1 … p_k] against 5+k target columns). Every term scores the same
    targets. Accuracy and predictions come from the first term's outputs (`pick`).
    A bare loss name on a multi-output module applies to its first output (`note` says so).
    A loss that does not fit the outputs is a TrainError positioned where it was written.
    `layouts`: the layout each output is returned in, in return order (None: unknown).
    """

    def __init__(self, loss: Loss | str, output_names=None, layouts=None):
        self.loss = to_loss(loss)
        self.names = tuple(output_names) if output_names else None
        try:
            picks = self.loss.picks(self.names)
        except Problem as p:
            raise TrainError.at(p.diagnostic) from None
        layouts = list(layouts or ())
        self.parts = [(weight, make_loss(kind, _layout(layouts, where)), where)
                      for weight, kind, where in picks]
        self.note = self.loss.note(self.names)
        first = self.parts[0][1]
        self.single = len(self.parts) == 1 and self.parts[0][2] is None
        self.class_labels = first.class_labels
        self.kind = self.loss.kind

    @staticmethod
    def _take(out, picks):
        if picks is None:
            return out if isinstance(out, torch.Tensor) else out[0]
        if len(picks) == 1:
            return out[picks[0]]
        return torch.cat([out[i].flatten(1) for i in picks], 1)

    def pick(self, out) -> torch.Tensor:
        """The output that accuracy and predictions read (the first term's)."""
        return self._take(out, self.parts[0][2]).float()

    def __call__(self, out, y: torch.Tensor) -> torch.Tensor:
        if self.single:
            return self.parts[0][1](out.float(), y)
        total = None
        for weight, fn, picks in self.parts:
            value = fn(self._take(out, picks).float(), y)
            value = value if weight == 1 else weight * value
            total = value if total is None else total + value
        return total

    def correct(self, out, y: torch.Tensor):
        """Hits of the first term, from the module's output or from what `pick` gave (the
        loop picks once for predictions; picking a picked tensor again would take a row)."""
        return self.parts[0][1].correct(out if isinstance(out, torch.Tensor) else self.pick(out), y)


def _layout(layouts: list, picks) -> str | None:
    """The layout of the (first) output a term scores; None when not known."""
    i = picks[0] if picks else 0
    return layouts[i] if i < len(layouts) else None
