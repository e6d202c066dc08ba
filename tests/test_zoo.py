"""The zoo (specs/zoo): every spec has torchvision's parameter count and output shape, and MACs
within 1% of torchvision's published GFLOPS — checked statically, without torchvision.

The numbers are torchvision 0.29's: `sum(p.numel() for p in model.parameters())` of the model
built with weights=None, and `weights.meta["_ops"]` (GFLOPS, one multiply-accumulate counted
as one operation). bench/zoo.py compares the compiled specs with torchvision itself (logits
with copied weights) and writes docs/zoo.md; the compiled parameter counts and output shapes
are also checked against `archlang check` for every spec by tests/backends/test_agreement.py.
Swin-T and MaxViT-T are compared with torchvision by bench/windows_reference.py, GPT-2 and BERT
with Hugging Face transformers by bench/zoo_text.py (TRANSFORMERS below).
"""
from __future__ import annotations

import pytest

import archlang
from conftest import SPECS

ZOO = SPECS / "zoo"

# name: (parameters, input shape, output shape, published GFLOPS; None: torchvision has none)
TORCHVISION = {
    "vgg11": (132_863_336, (224, 224, 3), (1000,), 7.609),
    "vgg16_bn": (138_365_992, (224, 224, 3), (1000,), 15.47),
    "resnext50_32x4d": (25_028_904, (224, 224, 3), (1000,), 4.23),
    "wide_resnet50_2": (68_883_240, (224, 224, 3), (1000,), 11.398),
    "densenet121": (7_978_856, (224, 224, 3), (1000,), 2.834),
    "squeezenet1_0": (1_248_424, (224, 224, 3), (1000,), 0.819),
    "squeezenet1_1": (1_235_496, (224, 224, 3), (1000,), 0.349),
    "mnasnet1_0": (4_383_312, (224, 224, 3), (1000,), 0.314),
    # aux_logits=False: the published 27,161,264 parameters include the auxiliary classifier,
    # which only runs in training (its MACs are not in the published GFLOPS)
    "inception_v3": (23_834_568, (299, 299, 3), (1000,), 5.713),
    "convnext_tiny": (28_589_128, (224, 224, 3), (1000,), 4.456),
    # window attention with relative-position bias, shifted (Swin) or over a grid (MaxViT);
    # bench/windows_reference.py: logits within 1e-7 of torchvision's
    "swin_t": (28_288_354, (224, 224, 3), (1000,), 4.491),
    "maxvit_t": (30_919_624, (224, 224, 3), (1000,), 5.558),
    "r3d_18": (33_371_472, (112, 112, 16, 3), (400,), 40.697),
    "mobilenet_v3_small": (2_542_856, (224, 224, 3), (1000,), 0.057),
    "mobilenet_v3_large": (5_483_032, (224, 224, 3), (1000,), 0.217),
    "efficientnet_b0": (5_288_548, (224, 224, 3), (1000,), 0.386),
    # B0's table scaled with make_divisible and ceil (std/efficientnet.arch), at the sizes
    # torchvision's weights are evaluated at
    "efficientnet_b1": (7_794_184, (240, 240, 3), (1000,), 0.687),
    "efficientnet_b2": (9_109_994, (288, 288, 3), (1000,), 1.088),
    "efficientnet_b3": (12_233_232, (300, 300, 3), (1000,), 1.827),
    "regnet_y_400mf": (4_344_144, (224, 224, 3), (1000,), 0.402),
    "shufflenet_v2_x1_0": (2_278_604, (224, 224, 3), (1000,), 0.145),
    # aux_loss=False; the published numbers include the auxiliary head: see below
    "fcn_resnet50": (32_957_013, (520, 520, 3), (520, 520, 21), None),
    # graph bodies with every output (the first output's shape here; tests/test_graph_specs.py
    # checks them all). MACs include the auxiliary heads, which the published GFLOPS leave
    # out for GoogLeNet (+0.6%) and Inception v3 (+0.1%).
    "vit_b_16": (86_567_656, (224, 224, 3), (1000,), 17.564),
    "googlenet_aux": (13_004_888, (224, 224, 3), (1000,), 1.498),
    "inception_v3_aux": (27_161_264, (299, 299, 3), (1000,), 5.713),
    "fcn_resnet50_aux": (35_322_218, (520, 520, 3), (520, 520, 21), 152.717),
    # not in torchvision: LeNet-5's classic count; U-Net counted on bench/zoo.py's PyTorch module
    "lenet5": (61_706, (32, 32, 1), (10,), None),
    "unet": (31_030_658, (256, 256, 1), (256, 256, 2), None),
    # not in torchvision: timm 1.0's mixer_s16_224 (bench/zoo.py compares them)
    "mlp_mixer_s16": (18_528_264, (224, 224, 3), (1000,), None),
    # not in torchvision: an LSTM text classifier on 200 token ids, against the PyTorch
    # module below (nn.Embedding, nn.LSTM, nn.Linear)
    "lstm_classifier": (3_311_170, (200,), (2,), None),
}

# Exact MACs of one sample from PyTorch's FLOP counter (torch.utils.flop_counter, FLOPs ÷ 2)
# on the torchvision model or bench/zoo.py's reference module (bench/zoo.py prints them).
COUNTED = {
    "vgg11": 7_609_090_048, "vgg16_bn": 15_470_264_320, "resnext50_32x4d": 4_230_479_872,
    "wide_resnet50_2": 11_398_021_120, "densenet121": 2_834_161_664,
    "squeezenet1_0": 818_924_576, "squeezenet1_1": 349_151_936, "mnasnet1_0": 314_415_872,
    "inception_v3": 5_713_216_096, "r3d_18": 40_696_553_472, "lenet5": 416_520,
    "mobilenet_v3_small": 56_510_400, "mobilenet_v3_large": 216_589_760,
    "efficientnet_b0": 385_814_752, "regnet_y_400mf": 401_842_848,
    "efficientnet_b1": 686_802_832, "efficientnet_b2": 1_087_529_456,
    "efficientnet_b3": 1_827_141_392,
    "shufflenet_v2_x1_0": 144_907_992, "convnext_tiny": 4_455_531_264,
    "fcn_resnet50": 142_725_772_800, "unet": 48_096_083_968, "mlp_mixer_s16": 3_776_958_464,
}


def report(name):
    result = archlang.check(ZOO / f"{name}.arch")
    assert result.ok, "\n".join(map(str, result.diagnostics))
    return result.model(name)


def test_every_listed_model_has_its_spec():
    assert set(TORCHVISION) <= {p.stem for p in ZOO.glob("*.arch")}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_counts_and_shapes_match_torchvision(name):
    params, input_shape, output_shape, gflops = TORCHVISION[name]
    m = report(name)
    assert m.params == params
    assert tuple(m.input_shape) == input_shape
    assert tuple(m.output_shape) == output_shape
    header = (ZOO / f"{name}.arch").read_text().split("\n\n")[0]
    assert f"{params:,}" in header                    # the header states what it must give


@pytest.mark.parametrize("name", sorted(n for n, v in TORCHVISION.items() if v[3] is not None))
def test_macs_within_one_percent_of_published(name):
    macs = archlang.analyze(ZOO / f"{name}.arch").totals.macs
    assert abs(macs / (TORCHVISION[name][3] * 1e9) - 1) <= 0.01


@pytest.mark.parametrize("name", sorted(COUNTED))
def test_macs_equal_pytorch_flop_counter(name):
    assert archlang.analyze(ZOO / f"{name}.arch").totals.macs == COUNTED[name]


AUX_HEAD = """
model aux(x: 65×65×1024) = Chain(          # torchvision's FCNHead(1024, 21) on layer3
    Conv((3, 3), 1024 => 256, pad=1, bias=false), BatchNorm(256, relu), Dropout(0.1),
    Conv((1, 1), 256 => 21))
"""


def test_fcn_with_its_auxiliary_head_gives_torchvision_published_numbers():
    # torchvision's fcn_resnet50 weights meta: 35,322,218 parameters and 152.717 GFLOPS at
    # 520×520, auxiliary head included (it runs in eval mode too).
    fcn = archlang.analyze(ZOO / "fcn_resnet50.arch").totals
    aux = archlang.analyze(AUX_HEAD).totals
    assert fcn.params + aux.params == 35_322_218
    assert abs((fcn.macs + aux.macs) / 152.717e9 - 1) <= 0.01


def test_densenet_blocks_grow_by_32_and_transitions_halve():
    outs = {}
    for info in report("densenet121").layers:
        for scope in info.node.scope:
            outs[scope.uid] = (scope.label, str(info.out))   # a scope's last layer is its output
    copies = [s for label, s in outs.values() if label.startswith("copy ")]
    assert copies[:3] == ["56×56×96", "56×56×128", "56×56×160"]      # 64 + 32k
    ends = [s for label, s in outs.values()
            if label.startswith("Transition") or label in ("copy 6/6", "copy 12/12", "copy 24/24",
                                                            "copy 16/16")]
    assert ends == ["56×56×256", "28×28×128", "28×28×512", "14×14×256", "14×14×1024",
                    "7×7×512", "7×7×1024"]


def _bench():
    """bench/zoo.py as a module: its PyTorch LeNet-5 and U-Net and its copy by position need
    no torchvision."""
    import importlib.util
    import sys
    if "bench_zoo" not in sys.modules:       # registered first: its dataclasses look it up
        spec = importlib.util.spec_from_file_location("bench_zoo", ZOO.parents[1] / "bench" / "zoo.py")
        sys.modules["bench_zoo"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["bench_zoo"])
    return sys.modules["bench_zoo"]


def _agree(spec, reference, shape):
    import torch
    bench = _bench()
    ref, ours = getattr(bench, reference)().eval(), archlang.load(spec).eval()
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = ref(x)
        assert (ours(x) - want).abs().max() > 1e-3          # different before the copy
        assert bench.copy_by_position(ref, ours, x) == len(list(ref.state_dict()))
        assert (ours(x) - want).abs().max() <= 1e-5


def test_lenet5_logits_equal_a_pytorch_lenet5():
    _agree(ZOO / "lenet5.arch", "LeNet5", (4, 1, 32, 32))


def test_unet_output_equals_a_pytorch_unet():
    # the same layers on a 32×32 input (any multiple of 16 works), 64 times cheaper
    text = (ZOO / "unet.arch").read_text()
    assert "model unet(x: 256×256×1)" in text
    _agree(text.replace("model unet(x: 256×256×1)", "model unet(x: 32×32×1)"), "UNet", (1, 1, 32, 32))


def test_efficientnet_b2_has_torchvisions_scaled_widths_and_depths():
    # torchvision's efficientnet_b2 (width 1.1, depth 1.2): stage outputs and block counts
    # read from its `features`; widths make_divisible(c · 1.1, 8), depths ceil(n · 1.2).
    m = report("efficientnet_b2")
    outs = {}
    for info in m.layers:
        for scope in info.node.scope:
            outs[scope.uid] = (scope.label, info.out)
    stages = [out for label, out in outs.values() if label.startswith("MBStage")]
    assert [tuple(out)[-1] for out in stages] == [16, 24, 48, 88, 120, 208, 352]
    depthwise = [i for i in m.layers if i.layer.kind == "Conv" and i.layer.groups > 1]
    assert len(depthwise) == 2 + 3 + 3 + 4 + 4 + 5 + 2
    assert m.layers[-1].layer.c_in == 4 * 352                     # the head: 1408 channels


def test_mlp_mixer_blocks_mix_tokens_on_the_transposed_sequence():
    # timm's MixerBlock: x + mlp_tokens(norm1(x).transpose(1, 2)).transpose(1, 2), then a
    # per-token channel MLP; every block keeps 196 tokens of 512 channels.
    m = report("mlp_mixer_s16")
    shapes = [(str(i.layer), tuple(i.out)) for i in m.layers if i.layer is not None]
    assert shapes[2:7] == [("LayerNorm(512, eps=1e-06)", (196, 512)), ("permutedims((2, 1))", (512, 196)),
                           ("Dense(196 => 256, gelu_erf)", (512, 256)), ("Dense(256 => 196)", (512, 196)),
                           ("permutedims((2, 1))", (196, 512))]
    code = archlang.compile(ZOO / "mlp_mixer_s16.arch")
    assert ".permute(" not in code and "h = h.transpose(1, 2)" in code
    assert code.count("nn.GELU(") + code.count("F.gelu(") > 0 and "tanh" not in code


# ---- the LSTM text classifier: a hand-written PyTorch module is its reference ---------------
def _lstm_classifier_reference():
    """The classifier as PyTorch tutorials write it: the last layer's final hidden states,
    forward and backward, into the linear head."""
    import torch
    from torch import nn

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(10000, 100, padding_idx=0)
            self.lstm = nn.LSTM(100, 256, num_layers=2, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(512, 2)

        def forward(self, tokens):
            _, (h_n, _) = self.lstm(self.embedding(tokens))
            return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=1))

    return LSTMClassifier()


def test_lstm_classifier_logits_equal_a_pytorch_lstm_classifier():
    import torch
    with torch.random.fork_rng():
        torch.manual_seed(0)                                       # two different initialisations
        ref = _lstm_classifier_reference().eval()
        ours = archlang.load(ZOO / "lstm_classifier.arch").eval()
    assert [sum(p.numel() for p in m.parameters()) for m in (ref, ours)] == [3_311_170] * 2
    tokens = torch.randint(1, 10_000, (4, 200), generator=torch.Generator().manual_seed(0))
    tokens[:, 150:] = 0                                            # padded reviews
    with torch.no_grad():
        want = ref(tokens)
        assert (ours(tokens) - want).abs().max() > 1e-3            # different before the copy
        # Tensor by tensor, in order: the same shapes (and the same names under the modules).
        pairs = list(zip(ref.state_dict().items(), ours.state_dict().items(), strict=True))
        assert all(a.shape == b.shape and na.split(".", 1)[1] == nb.split(".", 1)[1]
                   for (na, a), (nb, b) in pairs)
        ours.load_state_dict({nb: a for (_, a), (nb, _) in pairs})
        assert (ours(tokens) - want).abs().max() <= 1e-5


def test_lstm_classifier_macs_by_hand():
    # The LSTM: 4h·(in + h) per step and direction, h = 256, in = 100 then 512 (both
    # directions of layer 1): 200 steps × 2 directions; the head 512·2; the lookup none.
    lstm = 200 * 2 * (1024 * (100 + 256) + 1024 * (512 + 256))
    assert archlang.analyze(ZOO / "lstm_classifier.arch").totals.macs == lstm + 1024 == 460_391_424


# Language models against Hugging Face transformers 5.25 (bench/zoo_text.py copies its weights
# in by name and compares the outputs): parameters as `sum(p.numel() for p in
# model.parameters())` counts them on GPT2LMHeadModel(GPT2Config()) (the head's weight is
# wte's: one tensor) and BertModel(BertConfig()) with its pooler.
# name: (parameters, inputs, outputs, MACs per sample)
TRANSFORMERS = {
    # per block 4·L·d² (q, k, v, output) + 2·L²·d (scores, weighted sum) + 8·L·d² (MLP),
    # L = 1024, d = 768; the tied head L·d·50257
    "gpt2": (124_439_808, ["tokens: 1024 of int"], ["lm_head: 1024×50257"],
             12 * (12 * 1024 * 768**2 + 2 * 1024**2 * 768) + 1024 * 768 * 50257),
    # the same blocks at L = 512, and the pooler's 768²
    "bert_base": (109_482_240, ["ids: 512 of int", "types: 512 of int"],
                  ["encoder: 512×768", "pooler: 768"],
                  12 * (12 * 512 * 768**2 + 2 * 512**2 * 768) + 768**2),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMERS))
def test_language_models_have_transformers_counts(name):
    params, inputs, outputs, macs = TRANSFORMERS[name]
    m = report(name)
    assert m.params == params
    assert [f"{n}: {s}" for n, s in m.inputs] == inputs
    assert [f"{n}: {s}" for n, s in m.outputs] == outputs
    assert archlang.analyze(ZOO / f"{name}.arch").totals.macs == macs
    header = (ZOO / f"{name}.arch").read_text().split("\n\n")[0]
    assert f"{params:,}" in header


def test_gpt2_head_is_tied_to_the_token_embedding():
    # untied, the head's 768·50257 weights would count again: 163,037,184
    head = report("gpt2").layers[-1]
    assert head.layer.kind == "Dense" and head.params == 0
    assert report("gpt2").params + 768 * 50257 == 163_037_184


def _small(name, sizes):
    """A spec of the zoo with its sizes shrunk (the structure, so the compiled names, kept)."""
    text = (ZOO / f"{name}.arch").read_text()
    for big, small in sizes:
        text = text.replace(big, small)
    return archlang.load(text)


def test_gpt2_compiles_to_transformers_names_with_one_shared_table():
    # bench/zoo_text.py copies transformers' tensors by these names
    ours = _small("gpt2", [("50257", "97"), ("768", "48"), ("1024", "16")])
    keys = set(ours.state_dict())
    assert {"wte.weight", "wpe.weight", "h.11.ln_1.weight", "h.11.attn.in_proj_weight",
            "h.11.attn.out_proj.weight", "h.11.ln_2.bias", "h.11.c_fc.weight",
            "h.11.c_proj.bias", "ln_f.weight", "lm_head.weight"} <= keys
    assert ours.lm_head.weight is ours.wte.weight
    assert sum(p.numel() for p in ours.parameters()) == (
        97 * 48 + 16 * 48 + 12 * (4 * 48 + 4 * 48**2 + 4 * 48 + 8 * 48**2 + 4 * 48 + 48) + 2 * 48)


def test_bert_compiles_to_names_that_map_to_transformers():
    ours = _small("bert_base", [("30522", "97"), ("768", "48"), ("3072", "192"), ("512", "16")])
    keys = set(ours.state_dict())
    assert {"word_embeddings.weight", "position_embeddings.weight",
            "token_type_embeddings.weight", "embeddings.weight", "layer.11.attention.in_proj_bias",
            "layer.11.attention.out_proj.weight", "layer.11.attention_norm.weight",
            "layer.11.intermediate.weight", "layer.11.output.weight",
            "layer.11.output_norm.bias", "pooler.weight"} <= keys


def test_bert_with_a_padding_mask_has_the_same_weights_under_statement_names():
    result = archlang.check(ZOO / "bert_base.arch")
    masked, plain = result.model("bert_base_masked"), result.model("bert_base")
    assert masked.params == plain.params == 109_482_240
    assert [f"{n}: {s}" for n, s in masked.inputs] == [
        "ids: 512 of int", "types: 512 of int", "keep: 512 of bool"]
    ours = archlang.load((ZOO / "bert_base.arch").read_text().replace("30522", "97")
                         .replace("768", "48").replace("3072", "192").replace("512", "16"),
                         "bert_base_masked")
    assert {"attention12.in_proj_weight", "attention12.out_proj.bias",
            "bert_output12.attention_norm.weight", "bert_output12.intermediate.weight",
            "bert_output12.output_norm.bias", "pooler.weight"} <= set(ours.state_dict())
