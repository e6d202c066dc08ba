"""A tie compiles to one Parameter (`self.logits.weight = self.wte.weight`): the module's
parameters are check's count, and a training step moves the one table both layers use."""
from __future__ import annotations

import pytest

from conftest import FIXTURES

torch = pytest.importorskip("torch")

from backends.helpers import compiled, forward_agrees, param_count  # noqa: E402

TINY = (FIXTURES / "tokens/tiny_gpt.arch").read_text()


def test_the_tied_head_is_the_embeddings_parameter():
    report, gen, module = compiled(TINY)
    assert "        self.logits.weight = self.wte.weight  # tied: one Parameter\n" in gen.source
    assert module.logits.weight is module.wte.weight
    assert param_count(module) == report.params == 9_568
    assert len(list(module.parameters())) == len(module.state_dict()) - 1   # one name more
    forward_agrees(report, gen, module)


def test_the_shared_gradient_is_the_sum_of_both_uses():
    _, _, tied = compiled(TINY)
    _, _, untied = compiled(TINY.replace("; bias=false, tie=wte", "; bias=false"))
    untied.load_state_dict(tied.state_dict())          # the same numbers, two tensors
    assert untied.logits.weight is not untied.wte.weight
    ids = torch.randint(0, 100, (2, 16))

    def loss(m):
        logits = m(ids)
        return torch.nn.functional.cross_entropy(logits.reshape(-1, 100), ids.reshape(-1))
    loss(tied).backward()
    loss(untied).backward()
    assert torch.allclose(tied.wte.weight.grad, untied.wte.weight.grad + untied.logits.weight.grad,
                          atol=1e-6)
    before = tied.wte.weight.detach().clone()
    torch.optim.SGD(tied.parameters(), lr=0.1).step()
    assert torch.allclose(tied.wte.weight, before - 0.1 * tied.wte.weight.grad)
    assert tied.logits.weight is tied.wte.weight


def test_the_untied_module_has_its_own_head():
    report, gen, module = compiled(TINY.replace("; bias=false, tie=wte", "; bias=false"))
    assert "weight = self.wte.weight" not in gen.source
    assert param_count(module) == report.params == 9_568 + 3_200
