"""Checks of the data against the model and the loss, before the first epoch.

One forward pass on two training samples shows the model's output; the targets are then
checked against it for the loss in use, so that a mismatch is a TrainError naming both
sides (in the spec's terms) instead of a PyTorch traceback in the middle of epoch 1.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .errors import TrainError
from .layout import format_shape, spec_shape_of


def output_names(model: nn.Module, out) -> tuple[str, ...] | None:
    """The names of a module's outputs `out` (from `probe`) when it returns a tuple (its
    `output_names`, else output1, output2, ...), None when it returns one tensor."""
    if isinstance(out, torch.Tensor):
        return None
    names = tuple(getattr(model, "output_names", ()) or ())
    return names if len(names) == len(out) else tuple(f"output{i + 1}" for i in range(len(out)))


def probe(model: nn.Module, x: torch.Tensor):
    """The model's output for the samples `x`, in eval mode and without gradients (no
    batch-norm statistics move); a failing forward pass is a TrainError."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        raise TrainError(f"the model fails on the data's samples of shape "
                         f"{format_shape(spec_shape_of(x.shape[1:]))}: "
                         f"{str(err).splitlines()[0]}",
                         "check that the spec's input shape matches the data" if x.is_floating_point()
                         else f"the samples hold token ids {int(x.min())} … {int(x.max())}: each "
                              "must be below the vocabulary of the Embedding that reads it") from None
    finally:
        model.train(was_training)
    if isinstance(out, (tuple, list)) and all(isinstance(o, torch.Tensor) for o in out):
        return tuple(out)
    if not isinstance(out, torch.Tensor):
        raise TrainError(f"the model returns {type(out).__name__}, not a tensor or a tuple "
                         "of tensors")
    return out


def check_token_ids(model: nn.Module, data, device) -> None:
    """For token ids held in memory: one more probe, on the sample that holds the largest id,
    so that an id past an Embedding's vocabulary is a TrainError now (naming the ids), not an
    IndexError in the middle of an epoch. The model itself says what it takes."""
    x = getattr(data, "x", None)
    if x is None or x.is_floating_point() or x.dtype == torch.bool or not len(x):
        return
    row = int(x.reshape(len(x), -1).max(dim=1).values.argmax())
    probe(model, x[row:row + 1].to(device))


def check_targets(objective, out, y: torch.Tensor, data_name: str) -> None:
    """TrainError when the targets `y` (all of them) cannot be scored against the model's
    output `out` (a sample's) by `objective` (losses.Objective)."""
    for weight, fn, picks in objective.parts:
        o = objective._take(out, picks)
        kind = type(fn).__name__
        width = int(o.shape[1]) if o.dim() == 2 else None
        what = _output_text(objective, picks, o)
        if kind == "Localization":
            _localization(y, o, width, what, data_name)
        elif kind == "NextToken":
            _next_token(fn, y, o, what, data_name)
        elif y.dtype == torch.int64:
            if width is None:
                raise TrainError(f"{data_name} has class labels but {what} is "
                                 f"{format_shape(spec_shape_of(o.shape[1:]))} per sample",
                                 "a classifier ends in a vector of class scores, e.g. "
                                 "flatten, Dense(_ => K)")
            top, low = int(y.max()), int(y.min())
            if low < 0:
                raise TrainError(f"{data_name} has the label {low}; labels count from 0")
            if top >= width:
                raise TrainError(
                    f"{data_name} has labels 0 … {top} ({top + 1} classes) but {what} has "
                    f"{width} {'value' if width == 1 else 'values'}",
                    f"end the model in {top + 1} outputs, e.g. Dense(_ => {top + 1})")
        else:
            have = tuple(y.shape[1:])
            want = tuple(o.shape[1:])
            if math.prod(have) != math.prod(want):
                whole = y.dim() == 1 and bool((y == y.round()).all())
                size = (f"has {want[0]} {'value' if want[0] == 1 else 'values'}" if len(want) == 1
                        else f"is {format_shape(spec_shape_of(want))}")
                raise TrainError(f"{data_name} has {_per_sample(have, 'float target')} per sample "
                                 f"but {what} {size} per sample",
                                 "class labels are integers: save y as np.int64 (y.astype(int))"
                                 if whole else "make the model's output the size of a target")


def _per_sample(shape: tuple, what: str) -> str:
    """`one float target`, `targets of 3×2`: a target's shape said in words when it is a
    single number (an empty shape would print as nothing)."""
    return f"one {what}" if not shape else f"{what}s of {format_shape(spec_shape_of(shape))}"


def _localization(y, o, width, what, data_name) -> None:
    hint = ("the book's §5.8.1 targets are [p_c, x, y, h, w, p_1 … p_K]: 5 + K columns "
            "per sample, and the model needs as many outputs (7 for K = 2)")
    if y.dtype == torch.int64 or y.dim() != 2:
        raise TrainError(f"localization needs box targets, but {data_name} has "
                         + ("class labels" if y.dtype == torch.int64 else
                            f"{_per_sample(tuple(y.shape[1:]), 'target')} per sample"), hint)
    if y.shape[1] < 5:
        raise TrainError(f"localization needs at least 5 target columns; {data_name} has "
                         f"{y.shape[1]}", hint)
    if width != y.shape[1]:
        raise TrainError(f"localization: {data_name} has {y.shape[1]}-column targets but "
                         f"{what} has {width if width is not None else tuple(o.shape[1:])} "
                         "values", hint)


def _next_token(fn, y, o, what, data_name) -> None:
    """Per-position targets (N×L token ids) against a sequence of scores N×L×V (or N×V×L)."""
    hint = ("a language model ends in scores over the vocabulary at every position, e.g. "
            "`tokens: L of int` → Embedding(V => d) → … → Dense(d => V), with the data's V")
    if y.dtype != torch.int64 or y.dim() != 2:
        raise TrainError(f"next_token needs a token id per position (N×L), but {data_name} has "
                         + ("one label per sample" if y.dim() == 1 else
                            f"{_per_sample(tuple(y.shape[1:]), 'target')} per sample"),
                         "train on text: --data kjv, text(FILE)")
    length = int(y.shape[1])
    if o.dim() != 3 or length not in o.shape[1:]:
        raise TrainError(f"next_token: {data_name} has {length} target tokens per sample but "
                         f"{what} is {format_shape(spec_shape_of(o.shape[1:]))} per sample",
                         hint)
    vocab, low, top = fn.vocabulary(o, y), int(y.min()), int(y.max())
    if low < 0 or top >= vocab:
        raise TrainError(f"{data_name} has token ids up to {top} ({top + 1} tokens) but {what} "
                         f"scores {vocab} per position", hint.replace("V", str(top + 1)))


def _output_text(objective, picks, o) -> str:
    if objective.names is None or picks is None:
        return "the model's output"
    names = [objective.names[i] for i in picks]
    return f"the output{'s' if len(names) > 1 else ''} {', '.join(names)}"
