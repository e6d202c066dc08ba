"""Memory: bytes per dtype and batch, the forward peak on a DAG, the training estimate."""
from __future__ import annotations

import pytest

import archlang
from archlang.analysis.memory import peak_forward
from conftest import SPECS


def test_model2_activations_for_a_batch_in_bf16():
    a = archlang.analyze(SPECS / "book/model2.arch", batch=32, dtype="bf16")
    assert a.bytes_per_element == 2 and a.dtype == "bf16"
    # conv1's output: 24·24·8 elements × 32 samples × 2 bytes
    assert a.layers[0].activation_bytes == 24 * 24 * 8 * 32 * 2
    assert a.totals.param_bytes == 5_386 * 2
    assert a.totals.input_bytes == 28 * 28 * 32 * 2


@pytest.mark.parametrize("dtype,size", [("fp32", 4), ("float32", 4), ("fp16", 2), ("bf16", 2),
                                        ("fp64", 8), ("int8", 1)])
def test_dtypes(dtype, size):
    assert archlang.analyze(SPECS / "book/model1.arch", dtype=dtype).totals.param_bytes == 178_110 * size


def test_bad_dtype_and_batch():
    with pytest.raises(ValueError, match="unknown dtype"):
        archlang.analyze(SPECS / "book/model1.arch", dtype="fp8")
    with pytest.raises(ValueError):
        archlang.analyze(SPECS / "book/model1.arch", batch=0)


def test_model2_peak_by_hand():
    # fp32, batch 1: input 3,136 B; conv1 18,432 B; pool1 4,608 B; conv2 6,400 B; …
    # conv1 runs: 3,136 + 18,432 = 21,568, then the input is freed;
    # pool1 runs: 18,432 + 4,608 = 23,040 (the peak), then conv1's output is freed.
    t = archlang.analyze(SPECS / "book/model2.arch").totals
    assert (t.peak_forward_bytes, t.peak_forward_layer) == (23_040, 2)


def test_peak_keeps_the_branch_input_until_both_branches_ran():
    a = archlang.analyze("""model m(x: 10×1) = Chain(
        Parallel(+, Conv((1,), 1 => 2), Conv((1,), 1 => 2)))""")
    # x 40 B; branch outputs 80 B each; sum 80 B.
    # A: 40 + 80 = 120; B: 120 + 80 = 200, x freed → 160; join: 160 + 80 = 240.
    assert (a.totals.peak_forward_bytes, a.totals.peak_forward_layer) == (240, 3)
    # Training: every tensor kept (40 + 3·80 = 280) + 4 copies of 8 parameters × 4 B.
    assert a.totals.training_bytes == 280 + 4 * 8 * 4


def test_peak_forward_helper():
    # a chain 0 → 1 → 2 with a skip 0 → 2
    assert peak_forward([10, 20, 30], [(), (0,), (1, 0)], {2}) == (60, 2)


def test_resnet50_training_estimate_adds_up():
    a = archlang.analyze(SPECS / "famous/resnet50.arch", batch=32)
    t = a.totals
    assert t.training_bytes == t.input_bytes + t.activation_bytes + 4 * t.param_bytes + t.state_bytes
    assert t.peak_forward_bytes < t.activation_bytes
