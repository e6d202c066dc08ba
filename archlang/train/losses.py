"""Loss functions and the accuracy count that goes with each, by config name."""

from __future__ import annotations

import torch
import torch.nn.functional as F


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


KINDS = {"crossentropy": CrossEntropy, "mse": MeanSquared, "localization": Localization}


def make_loss(name: str):
    """A fresh loss object for a config loss name (crossentropy | mse | localization)."""
    return KINDS[name]()


class Objective:
    """The training loss of a config's `loss` setting for a model's outputs.

    `output_names` are the names of a multi-output module's outputs (its class attribute
    `output_names`), or None for a module returning one tensor. Each term of the loss
    expression (lossexpr.py) takes its outputs from the tuple by name; several outputs of
    one term are concatenated along the features (localization(box, cls) scores
    [p_c, x, y, h, w | p_1 … p_k] against 5+k target columns). Every term scores the same
    targets. Accuracy and predictions come from the first term's outputs (`pick`).
    A bare loss name on a multi-output module applies to its first output (`note` says so).
    """

    def __init__(self, loss: str, output_names=None):
        from .errors import TrainError
        from .lossexpr import parse_loss
        self.terms = parse_loss(loss)
        self.names = tuple(output_names) if output_names else None
        self.note = None
        index = {n: i for i, n in enumerate(self.names or ())}
        self.parts = []
        for term in self.terms:
            if term.outputs and self.names is None:
                if len(term.outputs) == 1 and len(self.terms) == 1:
                    self.parts.append((term.weight, make_loss(term.loss), None))
                    continue
                raise TrainError(f"the loss `{loss}` names outputs, but the model has one "
                                 "output", f"use loss = {term.loss}")
            unknown = [o for o in term.outputs if o not in index]
            if unknown:
                import difflib
                close = difflib.get_close_matches(unknown[0], list(index), n=1)
                raise TrainError(f"the loss names the output `{unknown[0]}`, but the model's "
                                 f"outputs are {', '.join(self.names)}",
                                 f"did you mean `{close[0]}`?" if close else
                                 f"write e.g. {term.loss}({self.names[0]})")
            picks = tuple(index[o] for o in term.outputs) or ((0,) if self.names else None)
            self.parts.append((term.weight, make_loss(term.loss), picks))
        if self.names and len(self.names) > 1 and not self.terms[0].outputs:
            self.note = (f"the model has {len(self.names)} outputs ({', '.join(self.names)}); "
                         f"the loss {self.terms[0].loss} is computed on the first, "
                         f"`{self.names[0]}` (name outputs in the loss to use others)")
        first = self.parts[0][1]
        self.single = len(self.parts) == 1 and self.parts[0][2] is None
        self.class_labels = first.class_labels
        self.kind = self.terms[0].loss

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
        return self.parts[0][1].correct(self.pick(out), y)
