"""The PyTorch module of the `SqueezeExcite` plugin kind (squeeze_excite.py), imported by the
code `archlang compile` writes for a spec that uses it."""
import torch.nn as nn
import torch.nn.functional as F


class SqueezeExcite(nn.Module):
    """x · hardsigmoid(W₂ relu(W₁ mean(x))) per channel, on N×C×… tensors."""

    def __init__(self, c, r):
        super().__init__()
        self.reduce = nn.Conv2d(c, r, 1)
        self.expand = nn.Conv2d(r, c, 1)

    def forward(self, x):
        s = x.mean(dim=(2, 3), keepdim=True)          # N×C×1×1
        s = F.relu(self.reduce(s))                    # N×r×1×1
        return x * F.hardsigmoid(self.expand(s))      # N×C×H×W
