"""The zoo's language models against Hugging Face transformers, weights copied by name.

- specs/zoo/gpt2.arch against `GPT2LMHeadModel(GPT2Config())` (logits),
- specs/zoo/bert_base.arch against `BertModel(BertConfig())` (last hidden states and the
  pooler's output), without a mask (bert_base) and with transformers' attention_mask
  (bert_base_masked: the second of two sequences padded after 300 tokens),

both randomly initialised from their default configurations (nothing downloaded), transformers'
tensors copied into the compiled spec by name (`gpt2_pair`, `bert_pair`), both run on the same
random token ids, in eval mode and again in training mode with every dropout off. Prints a
table: parameters on both sides, tensors copied, max |Δ| of each comparison (the bar is 1e-4),
and the outputs' scale.

transformers is needed here only, never by archlang:
    PYTHONPATH=. python bench/zoo_text.py   (an environment with transformers)
"""
from __future__ import annotations

import platform
import sys
from pathlib import Path

import torch
from torch import nn

import archlang

ZOO = Path(__file__).resolve().parents[1] / "specs/zoo"
BAR = 1e-4


def count(module: nn.Module) -> int:
    """Parameters as PyTorch counts them: a tied tensor once."""
    return sum(p.numel() for p in module.parameters())


def _copy(ours: nn.Module, tensors: dict[str, torch.Tensor]) -> int:
    """Copy `tensors` (our state_dict keys → values) in; every parameter of ours must be given
    (a tied one through its owner), with its own shape. Returns how many were copied."""
    mine = ours.state_dict()
    missing = {k for k, _ in ours.named_parameters()} - set(tensors)
    unknown = set(tensors) - set(mine)
    if missing or unknown:
        raise KeyError(f"not copied: {sorted(missing)}; no such tensor: {sorted(unknown)}")
    with torch.no_grad():
        for key, value in tensors.items():
            mine[key].copy_(value)            # a shape mismatch raises here
    return len(tensors)


def gpt2_tensors(ref: nn.Module) -> dict[str, torch.Tensor]:
    """transformers' GPT-2 state_dict under the spec's names. transformers' Conv1D keeps its
    weight in×out (nn.Linear's transposed); c_attn's 3d outputs are q, k, v in that order, as
    nn.MultiheadAttention's in_proj_weight stacks them."""
    conv1d = {name for name, m in ref.named_modules() if type(m).__name__ == "Conv1D"}
    out = {}
    for key, value in ref.state_dict().items():
        module, _, leaf = key.rpartition(".")
        if module in conv1d and leaf == "weight":
            value = value.t()
        name = key.removeprefix("transformer.").replace(".mlp.", ".")
        name = (name.replace("attn.c_attn.weight", "attn.in_proj_weight")
                    .replace("attn.c_attn.bias", "attn.in_proj_bias")
                    .replace("attn.c_proj.", "attn.out_proj."))
        out[name] = value
    out.pop("lm_head.weight")                 # tied to wte: one tensor, copied as wte
    return out


BERT_NAMES = (  # transformers' name → the spec's (graph-body statements and name="…")
    ("embeddings.word_embeddings.", "word_embeddings."),
    ("embeddings.position_embeddings.", "position_embeddings."),
    ("embeddings.token_type_embeddings.", "token_type_embeddings."),
    ("embeddings.LayerNorm.", "embeddings."),
    ("encoder.layer.", "layer."),
    ("attention.output.dense.", "attention.out_proj."),
    ("attention.output.LayerNorm.", "attention_norm."),
    ("intermediate.dense.", "intermediate."),
    ("output.dense.", "output."),
    ("output.LayerNorm.", "output_norm."),
    ("pooler.dense.", "pooler."),
)


def bert_tensors(ref: nn.Module) -> dict[str, torch.Tensor]:
    """transformers' BERT state_dict under the spec's names: its separate query, key and value
    projections stacked into nn.MultiheadAttention's in_proj (q, k, v rows)."""
    out, qkv = {}, {}
    for key, value in ref.state_dict().items():
        if key in ("embeddings.position_ids", "embeddings.token_type_ids"):
            continue                           # index buffers, not weights
        name = key
        for theirs, ours in BERT_NAMES:
            name = name.replace(theirs, ours)
        if ".attention.self." in name:         # layer.3.attention.self.query.weight
            head, _, tail = name.partition(".self.")
            part, leaf = tail.split(".")
            qkv.setdefault(f"{head}.in_proj_{leaf}", {})[part] = value
            continue
        out[name] = value
    for name, parts in qkv.items():
        out[name] = torch.cat([parts["query"], parts["key"], parts["value"]])
    return out


def bert_masked_tensors(ref: nn.Module) -> dict[str, torch.Tensor]:
    """bert_tensors for bert_base_masked, whose layers are graph-body statements: layer i's
    attention is `attention{i+1}`, the rest of it `bert_output{i+1}`."""
    out = {}
    for name, value in bert_tensors(ref).items():
        if name.startswith("layer."):
            _, i, rest = name.split(".", 2)
            owner = "attention" if rest.startswith("attention.") else "bert_output"
            name = f"{owner}{int(i) + 1}.{rest.removeprefix('attention.')}"
        out[name] = value
    return out


def dropout_off(*modules: nn.Module) -> None:
    """Every dropout probability to 0: nn.Dropout's `p`, and attention's own float `dropout`
    (nn.MultiheadAttention and the compiled attention hold it so)."""
    for root in modules:
        for m in root.modules():
            if isinstance(m, nn.Dropout):
                m.p = 0.0
            if isinstance(getattr(m, "dropout", None), float):
                m.dropout = 0.0


def gpt2_pair(length: int | None = None):
    """(ours, transformers') GPT-2 small with the same weights; `length` replaces the spec's
    1024 tokens (positions keep their 1,024 rows)."""
    from transformers import GPT2Config, GPT2LMHeadModel
    text = (ZOO / "gpt2.arch").read_text()
    if length is not None:
        text = text.replace("tokens: 1024 of int", f"tokens: {length} of int")
    ref = GPT2LMHeadModel(GPT2Config())
    ours = archlang.load(text)
    copied = _copy(ours, gpt2_tensors(ref))
    return ours, ref, copied


def bert_pair(model: str = "bert_base"):
    from transformers import BertConfig, BertModel
    ref = BertModel(BertConfig())              # add_pooling_layer=True: the pooler included
    ours = archlang.load(ZOO / "bert_base.arch", model)
    tensors = bert_tensors if model == "bert_base" else bert_masked_tensors
    copied = _copy(ours, tensors(ref))
    return ours, ref, copied


def _compare(ours, ref, run, inputs) -> tuple[float, float]:
    """max |Δ| over the outputs `run` pairs up, and the reference outputs' largest |value|."""
    with torch.no_grad():
        pairs = run(ours, ref, inputs)
    return (max((a - b).abs().max().item() for a, b in pairs),
            max(b.abs().max().item() for _, b in pairs))


def _gpt2_run(ours, ref, ids):
    return [(ours(ids), ref(input_ids=ids).logits)]


def _bert_run(ours, ref, inputs):
    ids, types = inputs
    hidden, pooled = ours(ids, types)
    theirs = ref(input_ids=ids, token_type_ids=types)
    return [(hidden, theirs.last_hidden_state), (pooled, theirs.pooler_output)]


def _bert_masked_run(ours, ref, inputs):
    ids, types, keep = inputs
    hidden, pooled = ours(ids, types, keep)
    theirs = ref(input_ids=ids, token_type_ids=types, attention_mask=keep.long())
    return [(hidden, theirs.last_hidden_state), (pooled, theirs.pooler_output)]


def _padded(g: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Two sequences of 512 ids, the second padded after 300 tokens (ids 0, mask false)."""
    ids, types = torch.randint(1, 30522, (2, 512), generator=g), torch.randint(0, 2, (2, 512), generator=g)
    keep = torch.ones(2, 512, dtype=torch.bool)
    keep[1, 300:] = False
    ids[1, 300:] = 0
    return ids, types, keep


def main() -> int:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    rows = []
    cases = (
        ("gpt2", "GPT2LMHeadModel", lambda: gpt2_pair(), _gpt2_run,
         torch.randint(0, 50257, (2, 1024), generator=g)),
        ("bert_base", "BertModel (pooler)", bert_pair, _bert_run,
         (torch.randint(0, 30522, (2, 512), generator=g), torch.randint(0, 2, (2, 512), generator=g))),
        ("bert_base_masked", "BertModel (pooler), attention_mask", lambda: bert_pair("bert_base_masked"),
         _bert_masked_run, _padded(g)),
    )
    for name, reference, build, run, inputs in cases:
        ours, ref, copied = build()
        checked = archlang.check(ZOO / f"{name.removesuffix('_masked')}.arch").model(name).params
        ours.eval(), ref.eval()
        eval_diff, scale = _compare(ours, ref, run, inputs)
        ours.train(), ref.train()
        dropout_off(ours, ref)
        train_diff, _ = _compare(ours, ref, run, inputs)
        ok = max(eval_diff, train_diff) <= BAR and checked == count(ours) == count(ref)
        rows.append((name, reference, checked, count(ours), count(ref), copied, eval_diff,
                     train_diff, scale, ok))
    print(f"Python {platform.python_version()}, torch {torch.__version__}, "
          f"transformers {__import__('transformers').__version__}, float32 on CPU")
    print("| model | reference | parameters (check) | compiled | reference | tensors copied "
          "| max \\|Δ\\| eval | max \\|Δ\\| train, dropout off | \\|output\\| max | ok |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, reference, checked, mine, theirs, copied, ev, tr, scale, ok in rows:
        print(f"| {name} | {reference} | {checked:,} | {mine:,} | {theirs:,} | {copied} | "
              f"{ev:.1e} | {tr:.1e} | {scale:.1f} | {'✓' if ok else '✗'} |")
    return 0 if all(row[-1] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
