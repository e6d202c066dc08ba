"""Specs written as graph bodies: every output, hand-computed counts and torchvision's.

bench/graphs_torchvision.py compares the compiled modules with torchvision (every output
equal with weights copied: ViT-B/16 within 2.1e-6, GoogLeNet and Inception v3 with their aux
heads exactly); these tests need no torchvision.
"""
from __future__ import annotations

import pytest

import archlang
from archlang.analysis import analyze_report
from conftest import SPECS


def checked(path):
    result = archlang.check(SPECS / path)
    assert result.ok, "\n".join(map(str, result.diagnostics))
    return result.model()


def test_localization_two_heads_hand_counts():
    m = checked("book/localization_two_heads.arch")
    assert m.inputs == [("x", (64, 64, 1))]
    assert m.outputs == [("box", (5,)), ("cls", (2,))]
    params = {str(i.layer): i.params for i in m.layers if i.params}
    assert params == {"Conv((5, 5), 1 => 8, relu)": 5 * 5 * 8 + 8,
                      "Conv((3, 3), 8 => 16, relu)": 3 * 3 * 8 * 16 + 16,
                      "Dense(3136 => 100, relu)": 3136 * 100 + 100,
                      "Dense(100 => 5)": 100 * 5 + 5,
                      "Dense(100 => 2, softmax)": 100 * 2 + 2}
    assert m.params == 315_783
    macs = analyze_report(m).totals.macs
    assert macs == 60 * 60 * 8 * 25 + 28 * 28 * 16 * 72 + 3136 * 100 + 100 * 5 + 100 * 2


def test_vit_b_16_counts_by_part():
    m = checked("zoo/vit_b_16.arch")
    a = analyze_report(m)
    rows = {g.label: m.group_params(g) for g in m.model.tree.children}
    assert rows == {"class_token": 768, "pos_embedding": 197 * 768,
                    "patches": 16 * 16 * 3 * 768 + 768, "tokens": 0,
                    "encoded": 12 * 7_087_872 + 2 * 768, "logits": 768 * 1000 + 1000}
    L, d = 197, 768
    block = 3 * L * d * d + 2 * L * L * d + L * d * d + 2 * L * d * 3072
    assert a.totals.macs == 196 * 768 * 768 + 12 * block + 768 * 1000 == 17_563_828_224


@pytest.mark.parametrize("path, outputs", [
    ("zoo/googlenet_aux.arch", [("logits", (1000,)), ("aux2", (1000,)), ("aux1", (1000,))]),
    ("zoo/inception_v3_aux.arch", [("logits", (1000,)), ("aux", (1000,))]),
    ("zoo/fcn_resnet50_aux.arch", [("out", (520, 520, 21)), ("aux", (520, 520, 21))]),
])
def test_auxiliary_heads_are_outputs_in_torchvisions_order(path, outputs):
    assert checked(path).outputs == outputs


def test_auxiliary_heads_hand_counts():
    googlenet = checked("zoo/googlenet_aux.arch")
    heads = {g.label: googlenet.group_params(g) for g in googlenet.model.tree.children}
    assert heads["aux1"] == 512 * 128 + 256 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000 == 3_188_968
    assert heads["aux2"] == 528 * 128 + 256 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000 == 3_191_016
    inception = checked("zoo/inception_v3_aux.arch")
    heads = {g.label: inception.group_params(g) for g in inception.model.tree.children}
    assert heads["aux"] == 768 * 128 + 256 + 25 * 128 * 768 + 1536 + 768 * 1000 + 1000 == 3_326_696
    fcn = checked("zoo/fcn_resnet50_aux.arch")
    heads = {g.label: fcn.group_params(g) for g in fcn.model.tree.children}
    assert heads["aux"] == 9 * 1024 * 256 + 512 + 256 * 21 + 21 == 2_365_205
