"""Activations as layers: `relu` in a Chain is the layer form of the `relu` argument."""
from __future__ import annotations

from ..records import dataclass
from .args import ACTIVATION_ALIASES, ACTIVATIONS, activation_name
from .base import Layer
from .layout import ANY
from .torch_code import X, TorchCode


@dataclass(frozen=True)
class Activation(Layer):
    fn: str

    kind = "activation"
    family = "activation"
    layout = ANY
    summary = "element-wise activation (softmax: over the channels)"

    @classmethod
    def from_bound(cls, bound, spans, alias):
        return cls(fn=activation_name(alias))

    def infer(self, inputs):
        return inputs[0]

    def typed(self, inputs):
        # `identity` computes nothing, so it passes any value: token ids and masks too (a
        # placeholder in a Chain, a branch of a Parallel). The others compute on floats.
        if self.fn == "identity":
            return inputs[0]
        return super().typed(inputs)

    def elementwise(self, inputs, out) -> int:
        return out.numel

    def __str__(self) -> str:
        return self.fn

    def torch(self, inputs, out) -> TorchCode:
        return TorchCode(call=X, act=self.fn)


# Every activation name (and alias) can be called as a layer: `relu` or `ReLU()`.
for _name in (*ACTIVATIONS, *ACTIVATION_ALIASES):
    from .base import REGISTRY as _REGISTRY
    _REGISTRY[_name] = Activation
