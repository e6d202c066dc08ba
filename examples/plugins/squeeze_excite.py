"""An archlang plugin: the squeeze-and-excitation gate (Hu et al., 2018) as one layer kind.

    archlang check examples/plugins/se_net.arch --plugin examples/plugins/squeeze_excite.py

`SqueezeExcite(c, r)` on W×H×c: average each channel (1×1×c), a 1×1 convolution to r
channels with relu, one back to c with hardsigmoid (the gate), and the input scaled by the
gate: W×H×c again. The same graph as the `SqueezeExcite` block of docs/language.md, so its
counts can be compared with the block's.

This file declares the kind and imports no torch (`check` and `draw` never load it); its
PyTorch module is in squeeze_excite_torch.py, named by `torch_module` and imported only by
the compiled code.
"""
from archlang.layers import Layer, Param, ShapeProblem, args, declare


@declare
class SqueezeExcite(Layer):
    c: int
    r: int

    kind = "SqueezeExcite"
    names = ("SE",)
    family = "channel"
    summary = "gates each channel by a learned function of all channels' means (SENet)"
    schema = (Param("c", args.size, doc="the input's channels"),
              Param("r", args.size, doc="the channels of the squeezed middle"))
    torch_module = "squeeze_excite_torch.SqueezeExcite"      # called with (c, r)
    short_name = "se"                  # compiled attributes: se2, se5

    def infer(self, inputs):
        x = inputs[0]
        if x.is_vector:
            raise ShapeProblem("E0303", f"SqueezeExcite applied to {x.describe()}",
                               label="needs channels beside spatial dimensions", blame_input=True)
        if x.channels != self.c:
            raise ShapeProblem("E0300", f"SqueezeExcite expects {self.c} channels but receives "
                               f"{x.channels}", arg="c", label=f"expects {self.c}",
                               blame_input=True, output=x)
        return x

    def params(self):
        # two 1×1 convolutions with biases: c·r + r, then r·c + c
        return 2 * self.c * self.r + self.r + self.c

    def macs(self, inputs, out):
        return 2 * self.c * self.r

    def elementwise(self, inputs, out):
        # the channel means and the gating product (W·H·c each), bias and activation of each
        # convolution (2r, 2c)
        return 2 * out.numel + 2 * self.r + 2 * self.c

    def args_text(self):
        return [str(self.c), str(self.r)]
