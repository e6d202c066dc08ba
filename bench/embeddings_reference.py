"""Token embeddings against Hugging Face transformers: counts and outputs with weights copied.

- BERT's embeddings (tests/fixtures/tokens/bert_embeddings.arch, with BERT's LayerNorm eps
  1e-12) against `BertEmbeddings(BertConfig())`: words, learned positions, token types and
  the LayerNorm, copied by name; the outputs for random ids and token types compared.
- GPT-2 small's counts (tests/fixtures/tokens/gpt2_counts.arch, head tied to wte) against
  `GPT2LMHeadModel(GPT2Config())`: 124,439,808, one shared tensor in both.

transformers is needed here only, never by archlang (e.g.
PYTHONPATH=. /work/refvenv/bin/python bench/embeddings_reference.py).
"""
from __future__ import annotations

from pathlib import Path

import torch
from transformers import BertConfig, GPT2Config, GPT2LMHeadModel
from transformers.models.bert.modeling_bert import BertEmbeddings

import archlang

FIXTURES = Path(__file__).resolve().parents[1] / "tests/fixtures/tokens"


def bert() -> None:
    spec = (FIXTURES / "bert_embeddings.arch").read_text().replace("LayerNorm(768)", "LayerNorm(768; eps=1e-12)")
    ours, ref = archlang.load(spec).eval(), BertEmbeddings(BertConfig()).eval()
    sd = ref.state_dict()
    (ln,) = [m for m in ours.modules() if isinstance(m, torch.nn.LayerNorm)]
    with torch.no_grad():
        for mine, theirs in ((ours.words.weight, "word_embeddings.weight"),
                             (ours.positions.weight, "position_embeddings.weight"),
                             (ours.token_types.weight, "token_type_embeddings.weight"),
                             (ln.weight, "LayerNorm.weight"), (ln.bias, "LayerNorm.bias")):
            mine.copy_(sd[theirs])
        ids, types = torch.randint(0, 30522, (2, 128)), torch.randint(0, 2, (2, 128))
        diff = (ours(ids, types) - ref(input_ids=ids, token_type_ids=types)).abs().max().item()
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    print(f"BertEmbeddings: {count(ours):,} parameters (transformers {count(ref):,}), "
          f"max |Δ| {diff:.1e}")


def gpt2() -> None:
    report = archlang.check(FIXTURES / "gpt2_counts.arch").model()
    ref = GPT2LMHeadModel(GPT2Config())
    shared = ref.lm_head.weight is ref.transformer.wte.weight
    print(f"GPT-2 small: check counts {report.params:,}, transformers "
          f"{sum(p.numel() for p in ref.parameters()):,} (head tied to wte: {shared})")


if __name__ == "__main__":
    torch.manual_seed(0)
    bert()
    gpt2()
