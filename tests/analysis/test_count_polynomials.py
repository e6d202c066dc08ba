"""Counts of a model with named input sizes (`x: W×H×1`, `tokens: T of int`) as polynomials in
normal form: MACs, element ops, dense-equivalent weights and the memory that is a sum over
tensors (input, activations, training estimate), ordered by degree then divisor, the constant
last. The formulas are worked out by hand below, and each one evaluated at several sizes
must equal the concrete check's number (the oracle: the same spec with those sizes written)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import archlang
from archlang.analysis import analyze_report
from archlang.cli import main
from archlang.symbolic import ParseError, SymInt, evaluate, expand, parse, text
from archlang.present.table import summary_lines

ROOT = Path(__file__).parents[2]
SIZES = ROOT / "tests" / "fixtures" / "sizes"

ONE_CONV = "model one(x: W×H×1) = Conv((3, 3), 1 => 8; pad=1)\n"
# Three same-padded stages, each 2×2-pooled: 3·3·1·8 = 72 MACs per pixel at W×H,
# 3·3·8·16 = 1,152 at ⌊W/2⌋×⌊H/2⌋, 3·3·16·32 = 4,608 at ⌊W/4⌋×⌊H/4⌋.
STAGES = """model stages(x: W×H×1) = Chain(
    Conv((3, 3), 1 => 8, relu; pad=1), MaxPool((2, 2)),
    Conv((3, 3), 8 => 16, relu; pad=1), MaxPool((2, 2)),
    Conv((3, 3), 16 => 32; pad=1))
"""
# Two pre-norm blocks of width 64, 4 heads, an MLP of 256, over T tokens; the head 64 => 100.
TINY_GPT = """block Block(d) = Chain(
    SkipConnection(Chain(LayerNorm(d), MultiHeadAttention(d, 4; causal=true)), +),
    SkipConnection(Chain(LayerNorm(d), Dense(d => 4 * d, gelu), Dense(4 * d => d)), +))
model tiny_gpt(tokens: T of int) = {
    e = Embedding(100 => 64)(tokens) + PositionEmbedding(128 => 64)(tokens)
    h = repeat(2, Block(64))(e)
    return Dense(64 => 100)(h)
}
"""
FIGURES = ("params", "macs", "element_ops", "input_bytes", "activation_bytes", "training_bytes",
           "dense_equivalent")


def analysed(text_: str, sizes: dict | None = None, batch: int = 1):
    result = archlang.check(text_, sizes=sizes)
    assert result.ok, [d.message for d in result.diagnostics]
    return analyze_report(result.models[0], batch=batch)


def concrete(text_: str, sizes: dict):
    """The same spec with the sizes written in: the oracle."""
    for name, value in sizes.items():
        text_ = text_.replace(f"{name}×", f"{value}×").replace(f"×{name}×", f"×{value}×") \
                     .replace(f": {name} of", f": {value} of")
    return analysed(text_)


def test_one_convolution_by_hand():
    a = analysed(ONE_CONV)
    t = a.totals
    # 3·3·1·8 MACs per output pixel; 8 bias adds per pixel; fp32: 4 bytes the input pixel,
    # 8·4 the output's; training adds 4 copies of the 80 parameters (4·80·4 = 1,280 bytes).
    assert (str(t.macs), str(t.element_ops), t.params) == ("72·H·W", "8·H·W", 80)
    assert (str(t.input_bytes), str(t.activation_bytes), str(t.training_bytes)) == \
        ("4·H·W", "32·H·W", "36·H·W + 1280")
    # the dense-equivalent (book §5.2): (H·W)·(8·H·W) weights and a bias per output
    assert str(t.dense_equivalent) == "8·H²·W² + 8·H·W"
    for sizes in ({"W": 1, "H": 1}, {"W": 5, "H": 7}, {"W": 224, "H": 96}):
        c = concrete(ONE_CONV, sizes).totals
        for f in FIGURES:
            assert evaluate(parse(str(getattr(t, f))), sizes) == getattr(c, f), (f, sizes)


def test_terms_by_degree_then_divisor_with_the_constant_last():
    a = analysed(STAGES, batch=2)
    t = a.totals
    assert str(t.macs) == "72·H·W + 1152·⌊H/2⌋·⌊W/2⌋ + 4608·⌊H/4⌋·⌊W/4⌋"
    # as check prints it: thousands separators, as every count of the table
    lines = summary_lines(a.report, a)
    assert lines[3].startswith("MACs:                 72·H·W + 1,152·⌊H/2⌋·⌊W/2⌋ + 4,608·⌊H/4⌋·⌊W/4⌋"
                               "   (")
    # batch 2, fp32 (8 bytes a pixel of a channel): the input 8·H·W; outputs 8 channels at
    # W×H, 8 + 16 at ⌊W/2⌋×⌊H/2⌋ (pool, conv), 16 + 32 at ⌊W/4⌋×⌊H/4⌋
    assert str(t.input_bytes) == "8·H·W"
    assert str(t.activation_bytes) == "64·H·W + 192·⌊H/2⌋·⌊W/2⌋ + 384·⌊H/4⌋·⌊W/4⌋"
    params = 80 + 1168 + 4640
    assert str(t.training_bytes) == f"72·H·W + 192·⌊H/2⌋·⌊W/2⌋ + 384·⌊H/4⌋·⌊W/4⌋ + {16 * params}"
    # the dense-equivalent of a c_in => c_out convolution on n pixels: (c_in·n)·(c_out·n)
    # weights and c_out·n biases; degree 4 before degree 2, each by divisor
    assert str(t.dense_equivalent) == ("8·H²·W² + 128·⌊H/2⌋²·⌊W/2⌋² + 512·⌊H/4⌋²·⌊W/4⌋² + "
                                       "8·H·W + 16·⌊H/2⌋·⌊W/2⌋ + 32·⌊H/4⌋·⌊W/4⌋")
    for sizes in ({"W": 4, "H": 4}, {"W": 9, "H": 13}, {"W": 64, "H": 31}, {"W": 224, "H": 224}):
        c = analyze_report(archlang.check(STAGES.replace("W×H×1", f"{sizes['W']}×{sizes['H']}×1"))
                           .models[0], batch=2).totals
        for f in FIGURES:
            assert evaluate(parse(str(getattr(t, f))), sizes) == getattr(c, f), (f, sizes)


def test_the_divisors_order_as_numbers_not_as_text():
    # U-Net (tests/fixtures/sizes/unet.arch): the level at W×H has 576 + 36,864 (first
    # DoubleConv) + 73,728 + 36,864 (last) + 128 (the 1×1 head) = 148,160 MACs per pixel; the
    # level at ⌊W/2⌋×⌊H/2⌋ 73,728 + 147,456 + 294,912 + 147,456 and its up-convolution
    # 4·64·128 = 32,768: 696,320. ⌊H/16⌋ comes last, not between ⌊H/2⌋ and ⌊H/4⌋.
    t = analysed((SIZES / "unet.arch").read_text()).totals
    assert str(t.macs) == ("148160·H·W + 696320·⌊H/2⌋·⌊W/2⌋ + 2785280·⌊H/4⌋·⌊W/4⌋ + "
                           "11141120·⌊H/8⌋·⌊W/8⌋ + 16252928·⌊H/16⌋·⌊W/16⌋")


def test_resnet18_in_ceilings():
    # a stride-2 stem then stride-2 stages: ⌈H/2⌉, ⌈H/4⌉, …, ⌈H/32⌉. At ⌈H/4⌉: layer1's four
    # 3·3·64·64 convolutions, 147,456 a pixel; at ⌈H/8⌉: 3·3·64·128 + 3·(3·3·128·128) and the
    # 1×1 shortcut 64·128, 524,288; the head 512·1000. At 224: torchvision's 1,814,073,344.
    t = analysed((SIZES / "resnet18.arch").read_text()).totals
    assert str(t.macs) == ("9408·⌈H/2⌉·⌈W/2⌉ + 147456·⌈H/4⌉·⌈W/4⌉ + 524288·⌈H/8⌉·⌈W/8⌉ + "
                           "2097152·⌈H/16⌉·⌈W/16⌉ + 8388608·⌈H/32⌉·⌈W/32⌉ + 512000")
    assert evaluate(parse(str(t.macs)), {"W": 224, "H": 224}) == 1_814_073_344


def test_attention_is_quadratic_in_the_tokens():
    # per block: 4·64²·T (q, k, v, output) + 2·64·T² (QKᵀ, weighted sum) + 2·64·256·T (MLP):
    # 2 blocks, and the head 64·100·T: 256·T² + 2·(16,384 + 32,768)·T + 6,400·T.
    t = analysed(TINY_GPT).totals
    assert str(t.macs) == "256·T² + 104704·T"
    for n in (1, 2, 77, 128):
        assert evaluate(parse(str(t.macs)), {"T": n}) == concrete(TINY_GPT, {"T": n}).totals.macs


def test_gpt2_small_in_the_context_length():
    # 12 blocks of 4·768²·T + 2·768·T² + 2·768·3072·T, the head 768·50,257·T
    path = SIZES / "gpt2_small_T.arch"
    spec = path.read_text()
    t = analysed(spec).totals
    assert str(t.macs) == "18432·T² + 123532032·T"
    fixed = archlang.analyze(ROOT / "specs" / "zoo" / "gpt2.arch").totals      # T = 1024
    assert evaluate(t.macs.expr, {"T": 1024}) == fixed.macs
    for n in (1, 100):
        c = concrete(spec, {"T": n}).totals
        for f in FIGURES:
            assert evaluate(parse(str(getattr(t, f))), {"T": n}) == getattr(c, f), (f, n)


def test_the_peak_is_a_number_at_the_sample_sizes():
    a = analysed(STAGES)
    assert type(a.totals.peak_forward_bytes) is int
    assert a.json()["sample_sizes"] == {"W": 224, "H": 224}
    at_224 = concrete(STAGES, {"W": 224, "H": 224}).totals
    assert a.totals.peak_forward_bytes == at_224.peak_forward_bytes
    line = next(x for x in summary_lines(a.report, a) if "peak forward" in x)
    assert "at W = 224, H = 224" in line and "a maximum over the layers" in line


def test_every_formula_of_check_json_parses_back(capsys):
    for name in ("unet.arch", "gpt2_small_T.arch", "resnet18.arch"):
        assert main(["check", str(SIZES / name), "--json"]) == 0
        (model,) = json.loads(capsys.readouterr().out)["models"]
        at = model["totals"]["sample_sizes"]
        texts = [v for v in model["totals"].values() if isinstance(v, str)]
        texts += [layer[k] for layer in model["layers"] for k in ("macs", "element_ops", "params")
                  if isinstance(layer[k], str)]
        assert texts, name
        for t in texts:
            e = parse(t)
            assert text(e) == t and expand(e) == e        # written in normal form
            assert "," not in t
        # a figure evaluated at the sample sizes is the number the table prints
        a = analysed((SIZES / name).read_text())
        assert evaluate(parse(model["totals"]["macs"]), at) == a.totals.macs.hint
        assert model["totals"]["peak_forward_bytes"] == a.totals.peak_forward_bytes


def test_expand_multiplies_out_and_parse_reads_text_back():
    H, W = SymInt.var("H"), SymInt.var("W")
    e = (656 * ((H - 6) // 2 + 1) * ((W - 6) // 2 + 1) + 72 * H * W).expr
    assert text(expand(e)) == "72·H·W + 656·⌊H/2⌋·⌊W/2⌋ − 1312·⌊H/2⌋ − 1312·⌊W/2⌋ + 2624"
    assert text(expand(e), group=True) == ("72·H·W + 656·⌊H/2⌋·⌊W/2⌋ − 1,312·⌊H/2⌋ − 1,312·⌊W/2⌋"
                                           " + 2,624")
    for x in (e, expand(e), ((H + 6 - 7) // 2 + 1).expr, (H % 16).expr, (3 * H * H - 7).expr):
        assert parse(text(x)) == x and parse(text(x, group=True)) == x
    # a product of sums is one formula however its factors were scaled, once multiplied out
    assert expand(parse("1,312·⌊(H − 1)/4⌋²")) == expand((1312 * ((H - 1) // 4) * ((H - 1) // 4)).expr)
    # ⌊(H − 1)/4⌋ + 1 = ⌊(H + 3)/4⌋ is ⌈H/4⌉ inside a sum or a product
    assert text(expand(parse("1,312·⌊(H − 1)/4⌋²"))) == "1312·⌈H/4⌉² − 2624·⌈H/4⌉ + 1312"
    assert parse("⌈H/4⌉") == ((H + 3) // 4).expr and text(parse("⌈H/4⌉")) == "⌊(H − 1)/4⌋ + 1"
    for bad in ("H +", "⌊H/0⌋", "2·(H", "H ⌋", ""):
        with pytest.raises(ParseError):
            parse(bad)
