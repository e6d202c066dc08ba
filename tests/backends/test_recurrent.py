"""Recurrent layers compiled and run: each configuration against PyTorch's own nn.LSTM, nn.GRU
and nn.RNN (parameter counts, and outputs with the reference's weights copied in), each output
selection against the same selection written by hand, and static shapes against the module's."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from .helpers import compiled, forward_agrees, param_count

L, C = 7, 10          # a spec input `x: 7×10`: 7 steps of 10 channels, N×10×7 in PyTorch

CONFIGS = [
    ("LSTM(10 => 16; layers=2, bidirectional=true)",
     lambda: nn.LSTM(10, 16, num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM(10 => 16)", lambda: nn.LSTM(10, 16, batch_first=True)),
    ("LSTM(10, 16; bias=false, layers=2, dropout=0.5)",
     lambda: nn.LSTM(10, 16, num_layers=2, bias=False, dropout=0.5, batch_first=True)),
    ("LSTM(_ => 16; layers=3, proj_size=5, bidirectional=true)",
     lambda: nn.LSTM(10, 16, num_layers=3, proj_size=5, bidirectional=True, batch_first=True)),
    ("GRU(10 => 16; layers=2, bidirectional=true)",
     lambda: nn.GRU(10, 16, num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU(10 => 16; bias=false)", lambda: nn.GRU(10, 16, bias=False, batch_first=True)),
    ("RNN(10 => 16, relu; layers=2)",
     lambda: nn.RNN(10, 16, num_layers=2, nonlinearity="relu", batch_first=True)),
    ("RNN(10 => 16; bidirectional=true)", lambda: nn.RNN(10, 16, bidirectional=True, batch_first=True)),
]


def build(layer: str):
    report, gen, module = compiled(f"model m(x: {L}×{C}) = {layer}")
    (rnn,) = [m for m in module.modules() if isinstance(m, nn.RNNBase)]
    return report, gen, module.eval(), rnn


def copied(reference: nn.RNNBase, rnn: nn.RNNBase) -> None:
    """The reference's tensors into the compiled layer, by position (the names agree too)."""
    assert [n for n, _ in reference.named_parameters()] == [n for n, _ in rnn.named_parameters()]
    with torch.no_grad():
        for p, q in zip(reference.parameters(), rnn.parameters(), strict=True):
            p.copy_(torch.randn_like(p))
            q.copy_(p)


@pytest.mark.parametrize("layer, make", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_each_configuration_is_pytorchs(layer, make):
    report, gen, module, rnn = build(layer)
    reference = make().eval()
    assert param_count(module) == report.params == param_count(reference)
    assert [tuple(p.shape) for p in rnn.parameters()] == [tuple(p.shape) for p in reference.parameters()]
    copied(reference, rnn)
    x = torch.randn(3, C, L)
    with torch.no_grad():
        assert torch.allclose(module(x), reference(x.transpose(1, 2))[0], atol=1e-5)
    forward_agrees(report, gen, module)


def _last(reference, y):
    """What PyTorch users take as a sequence's summary: the last layer's final hidden state,
    forward and backward side by side (h_n[-2] and h_n[-1]) when bidirectional."""
    output, state = y
    h_n = state[0] if isinstance(reference, nn.LSTM) else state
    if reference.bidirectional:
        return torch.cat((h_n[-2], h_n[-1]), dim=1)
    return h_n[-1]


SELECTIONS = {
    "sequence": lambda ref, y: y[0],
    "last": _last,
    "mean": lambda ref, y: y[0].mean(dim=1),
    "max": lambda ref, y: y[0].max(dim=1).values,
}


@pytest.mark.parametrize("select", list(SELECTIONS))
@pytest.mark.parametrize("layer, make", [CONFIGS[0], CONFIGS[1], CONFIGS[3], CONFIGS[4], CONFIGS[7]],
                         ids=["lstm-bi", "lstm", "lstm-proj-bi", "gru-bi", "rnn-bi"])
def test_each_output_selection(layer, make, select):
    keyword = f'{", " if ";" in layer else "; "}out="{select}")'
    report, gen, module, rnn = build(layer[:-1] + keyword)
    reference = make().eval()
    copied(reference, rnn)
    x = torch.randn(3, C, L)
    with torch.no_grad():
        want = SELECTIONS[select](reference, reference(x.transpose(1, 2)))
        assert torch.allclose(module(x), want, atol=1e-5)
    forward_agrees(report, gen, module)


def test_the_generated_forward_reads_as_written():
    _, gen, _, _ = build('LSTM(10 => 16; layers=2, bidirectional=true, out="last")')
    assert "self.lstm1 = nn.LSTM(10, 16, num_layers=2, batch_first=True, bidirectional=True)" \
        in gen.source
    # h_n's last two rows (the last layer's two directions) side by side: N × 32.
    assert "x = self.lstm1(x.transpose(1, 2))[1][0][-2:].transpose(0, 1).flatten(1)  # N×32" \
        in gen.source
    _, gen, _, _ = build('RNN(10 => 16, relu; out="mean")')
    assert 'nn.RNN(10, 16, batch_first=True, nonlinearity="relu")' in gen.source
    assert "self.rnn1(x.transpose(1, 2))[0].mean(1)  # N×16" in gen.source


def test_a_sequence_output_stays_batch_first():
    # Between recurrent and per-token layers nothing is transposed; the model returns N×L×C.
    report, gen, module = compiled(f"model m(x: {L}×{C}) = Chain(GRU(10 => 8), Dense(8 => 4), "
                                   "LSTM(4 => 6; bidirectional=true))")
    assert gen.source.count("transpose") == 1          # the input, N×C×L → N×L×C
    assert tuple(module(torch.randn(2, C, L)).shape) == (2, L, 12)
    forward_agrees(report, gen, module)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_receptive_field_is_the_whole_input_by_gradients(bidirectional):
    # analysis says "whole input"; the gradients of one output step say which input steps it
    # reads: all of them in both directions, and the steps up to it in one (an upper bound).
    import archlang
    spec = f"model m(x: {L}×{C}) = GRU(10 => 4; bidirectional={str(bidirectional).lower()})"
    assert archlang.analyze(spec).layers[-1].rf.whole
    _, _, module, _ = build(spec.split(" = ")[1])
    x = torch.randn(1, C, L, requires_grad=True)
    t = 2
    (grad,) = torch.autograd.grad(module(x)[0, t].sum(), x)
    read = (grad[0].abs().sum(0) > 0).tolist()
    assert read == ([True] * L if bidirectional else [s <= t for s in range(L)])
