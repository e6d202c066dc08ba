"""Running a run trained on text on a prompt: a language model's sampled continuation
(`sample`), or a sequence classifier's classes for the prompt (`classify_text`). Prompts are
encoded with the vocabulary the run kept (text.Vocabulary), so they read as training read
its text."""
from __future__ import annotations

import torch

from .errors import TrainError
from .losses import NextToken
from .predict import Prediction
from .runs import Run
from .text import Vocabulary, quoted


def vocabulary(run: Run) -> Vocabulary:
    """The vocabulary a run was trained with; TrainError for a run not trained on text."""
    kept = run.state.get("vocab")
    if not kept:
        raise TrainError(f"{run.folder} was not trained on text, so it has no vocabulary to "
                         "read a prompt with",
                         "--prompt is for runs trained on text (--data kjv, text(FILE), "
                         "text_classes(FILE)); give other runs input files")
    return Vocabulary.from_dict(kept)


def _encoded(run: Run, vocab: Vocabulary, prompt: str) -> list[int]:
    """The prompt's ids; TrainError naming the characters the vocabulary lacks."""
    missing = vocab.unknown(prompt)
    if missing:
        raise TrainError(f"the prompt has characters that {run.name}'s vocabulary lacks: "
                         f"{quoted(missing)}", f"its {len(vocab.chars)} characters are "
                         f"{''.join(vocab.chars)!r}; or train with level=byte, which reads "
                         "any text")
    return vocab.encode(prompt).tolist()


def sample(run: Run, prompt: str, tokens: int = 200, temperature: float = 0.8,
           top_k: int | None = 40, seed: int = 0) -> str:
    """`tokens` tokens drawn one at a time from the run's language model after `prompt`;
    returns the continuation (not the prompt).

    The model reads the last L tokens (L: its input length). While there are fewer, they
    fill the first positions and the next token is read at the last of them; the positions
    after it hold padding that a causal model does not see. Each step divides the scores
    by `temperature` (0: always the most likely token), keeps the `top_k` largest (None:
    all) and draws from their softmax with a generator seeded by `seed`, so one seed gives
    one text."""
    vocab = vocabulary(run)
    objective = run.objective()
    scorer = objective.parts[0][1]
    if not isinstance(scorer, NextToken):
        raise TrainError(f"{run.folder} holds a model trained with the loss "
                         f"{run.config.loss}, not a language model",
                         "sample from a run trained on text with next-token targets "
                         "(--data kjv, text(FILE))")
    length = int(run.input_shape[0])
    ids = _encoded(run, vocab, prompt) or [_start(vocab)]
    fill = 0
    generator = torch.Generator().manual_seed(seed)
    device = next(iter(run.model.parameters()), torch.empty(0)).device
    made: list[int] = []
    with torch.no_grad():
        for _ in range(tokens):
            context = ids[-length:]
            x = torch.full((1, length), fill, dtype=torch.int64)
            x[0, :len(context)] = torch.tensor(context, dtype=torch.int64)
            out = objective.pick(run.model(x.to(device))).cpu()
            place = len(context) - 1
            last = scorer.channels_last(out, x)
            scores = out[0, place] if last else out[0, :, place]
            token = _draw(scores.double(), temperature, top_k, generator)
            ids.append(token)
            made.append(token)
    return vocab.decode(made)


def _start(vocab: Vocabulary) -> int:
    """The token an empty prompt starts from: a line break (the start of a line)."""
    return int(vocab.encode("\n")[0]) if vocab.level == "byte" or "\n" in vocab.chars \
        else int(vocab.pad)


def _draw(scores: torch.Tensor, temperature: float, top_k: int | None,
          generator: torch.Generator) -> int:
    if temperature == 0:
        return int(scores.argmax())
    scores = scores / temperature
    if top_k is not None and top_k < len(scores):
        kth = scores.topk(top_k).values[-1]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    return int(torch.multinomial(scores.softmax(0), 1, generator=generator))


def classify_text(run: Run, text: str, top: int = 3) -> Prediction:
    """A sequence classifier's classes for `text`, encoded, cut and padded as training
    encoded its lines (text.text_classes)."""
    vocab = vocabulary(run)
    objective = run.objective()
    if isinstance(objective.parts[0][1], NextToken):
        raise TrainError("classify_text is for sequence classifiers; this run is a language "
                         "model", "sample from it instead")
    length = int(run.input_shape[0])
    x = torch.zeros(1, length, dtype=torch.int64)
    ids = _encoded(run, vocab, text)[:length]
    x[0, :len(ids)] = torch.tensor(ids, dtype=torch.int64)
    with torch.no_grad():
        out = objective.pick(run.model(x))
    if out.dim() != 2:
        raise TrainError(f"{run.name} returns {tuple(out.shape[1:])} per sample, not class "
                         "scores")
    probs = out.softmax(1)[0]
    p, c = probs.topk(min(top, len(probs)))
    best = [(int(k), float(v)) for k, v in zip(c, p)]
    return Prediction("prompt", best[0][0], best[0][1], best, out[0].tolist())
