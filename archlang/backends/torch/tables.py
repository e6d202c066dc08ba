"""Per-backend tables: how activations, initialisers and names are spelled in PyTorch."""
from __future__ import annotations

from ...layers.torch_code import Call


# ---- per-backend tables ------------------------------------------------------------------
ACTIVATIONS = {
    "identity": "{}", "relu": "F.relu({})", "relu6": "F.relu6({})", "tanh": "torch.tanh({})",
    "sigmoid": "torch.sigmoid({})", "softmax": "F.softmax({}, dim={dim})",
    "logsoftmax": "F.log_softmax({}, dim={dim})", "leakyrelu": "F.leaky_relu({}, 0.01)",
    "elu": "F.elu({})", "gelu": 'F.gelu({}, approximate="tanh")', "gelu_erf": "F.gelu({})",
    "swish": "F.silu({})", "softplus": "F.softplus({})", "hardswish": "F.hardswish({})",
    "hardsigmoid": "F.hardsigmoid({})", "mish": "F.mish({})",
}
"""Activation → PyTorch. Softmax is over the channels (`dim`: 1, or -1 channels last); gelu
is NNlib's (tanh form), gelu_erf PyTorch's default GELU."""

ACT_MODULES = {
    "identity": None, "relu": Call("nn.ReLU"), "relu6": Call("nn.ReLU6"), "tanh": Call("nn.Tanh"),
    "sigmoid": Call("nn.Sigmoid"), "leakyrelu": Call("nn.LeakyReLU", (0.01,)), "elu": Call("nn.ELU"),
    "gelu": Call("nn.GELU", (), (("approximate", "tanh"),)), "gelu_erf": Call("nn.GELU"),
    "swish": Call("nn.SiLU"), "softplus": Call("nn.Softplus"), "hardswish": Call("nn.Hardswish"),
    "hardsigmoid": Call("nn.Hardsigmoid"), "mish": Call("nn.Mish"),
}
"""Activation → its module, for a named Chain compiled as one nn.Sequential (softmax, whose
dim depends on the layout, makes the Chain be written layer by layer instead)."""

INITS = {
    "kaiming_normal": "nn.init.kaiming_normal_({})", "kaiming_uniform": "nn.init.kaiming_uniform_({})",
    "xavier_normal": "nn.init.xavier_normal_({})", "xavier_uniform": "nn.init.xavier_uniform_({})",
    "normal": "nn.init.normal_({}, std=0.01)", "zeros": "nn.init.zeros_({})",
    "ones": "nn.init.ones_({})", "orthogonal": "nn.init.orthogonal_({})",
}
"""init="…" → the weight's initialiser; the bias then starts at zero (Flux's convention)."""

SHORT_NAMES = {
    "Conv": "conv", "DepthwiseConv": "conv", "ConvTranspose": "convt", "MaxPool": "pool",
    "MeanPool": "pool", "GlobalMaxPool": "pool", "GlobalMeanPool": "pool",
    "AdaptiveMeanPool": "pool", "AdaptiveMaxPool": "pool", "BatchNorm": "bn", "LayerNorm": "ln",
    "Dropout": "drop", "Dense": "fc", "Upsample": "up", "PixelShuffle": "shuffle",
    "ChannelShuffle": "shuffle", "Scale": "scale", "Embedding": "embed", "PositionEmbedding": "pos",
}
"""Attribute prefix of a layer kind: `conv1`, `bn2`, `fc6`."""

HELPERS = {
    "Permute": '''class Permute(nn.Module):
    """torch.permute(x, dims): a layout change inside an nn.Sequential, where a layer that
    takes channels last follows one that takes channels first or the other way round
    (torchvision.ops.Permute)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return torch.permute(x, self.dims)
''',
    "LayerNorm2d": '''class LayerNorm2d(nn.LayerNorm):
    """nn.LayerNorm over the channels of an N×C×H×W image (torchvision's LayerNorm2d): a
    LayerNorm inside an nn.Sequential between layers that take channels first."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        x = x.permute(0, 3, 1, 2)
        return x
''',
    "ChannelScale": '''class ChannelScale(nn.Module):
    """y = weight ⊙ x (+ bias) per channel of an N×C×… tensor (archlang's Scale, Flux's Scale).

    weight and bias are C×1×…×1, one 1 per spatial dim (C×1×1 for images, the shape of
    torchvision's ConvNeXt layer_scale).

    Args:
        c: the channels
        spatial_dims: the input's spatial dims (2 for images)
        bias: whether a learned bias (zeros at first) is added
        init: the weight's initial value
    """

    def __init__(self, c, spatial_dims=2, bias=True, init=1.0):
        super().__init__()
        shape = (c,) + (1,) * spatial_dims
        self.weight = nn.Parameter(torch.full(shape, float(init)))
        self.bias = nn.Parameter(torch.zeros(shape)) if bias else None

    def forward(self, x):
        x = x * self.weight
        return x if self.bias is None else x + self.bias
''',
    "Attention": '''class Attention(nn.Module):
    """Multi-head attention by F.scaled_dot_product_attention (archlang's MultiHeadAttention).

    nn.MultiheadAttention's parameters, under its names (a state_dict of one loads into the
    other): in_proj_weight 3d×d (q, k, v stacked), in_proj_bias 3d, out_proj (d×d + d).
    Inputs are N×…×L×d (batch_first): attention runs along L; the dims between N and L are
    further batches (windows) that share the weights.

    Args:
        d: the width of every token
        heads: the heads; each takes d // heads channels
        bias: biases of the projections
        dropout: dropout on the attention weights while training
        causal: query i attends to keys 0..i only
        window: (h, w): Swin's relative-position bias over h×w windows of h·w tokens, a
            learned table of (2h−1)(2w−1)×heads and its index (torchvision's names)
        shift: (sh, sw): Swin's shifted windows, on N×Gh×Gw×hw×d (a grid of windows of a
            map rolled by −shift): tokens rolled in from the far edge attend only to tokens
            from there (torchvision's mask, −100 between regions; no shift along a dim of
            one window, as torchvision)
        scale: the factor of the scores (None: 1/√(d/heads), SDPA's default)
        keys: whose state_dict keys the projections have: "torch" nn.MultiheadAttention's
            (in_proj_weight, in_proj_bias, out_proj), "swin" torchvision's Swin (qkv, proj),
            "maxvit" torchvision's MaxViT (to_qkv, merge; relative_position_index hw×hw)
    """

    def __init__(self, d, heads, bias=True, dropout=0.0, causal=False, window=None, shift=None,
                 scale=None, keys="torch"):
        super().__init__()
        self.heads, self.dropout, self.causal, self.scale = heads, dropout, causal, scale
        self.window_h, self.window_w = window if window is not None else (0, 0)
        self.shift_h, self.shift_w = shift if shift is not None else (0, 0)
        # Registered first, as torchvision's Swin registers its table before qkv.
        self.register_parameter("relative_position_bias_table", None)
        self.register_buffer("relative_position_index", None)
        if window is not None:
            h, w = window
            self.relative_position_bias_table = nn.Parameter(
                torch.zeros((2 * h - 1) * (2 * w - 1), heads))
            nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
            ih, iw = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
            pos = torch.stack((ih.flatten(), iw.flatten()))                 # 2×hw
            rel = pos[:, :, None] - pos[:, None, :]            # 2×hw×hw: (Δrow, Δcolumn)
            index = (rel[0] + h - 1) * (2 * w - 1) + rel[1] + w - 1
            self.relative_position_index = index if keys == "maxvit" else index.flatten()
        # The projections under the names of the module whose weights they are (`keys`); the
        # others None (TorchScript then compiles only the branches that hold a module).
        self.in_proj_weight = self.in_proj_bias = self.out_proj = None
        self.qkv = self.proj = self.to_qkv = self.merge = None
        if keys == "swin":
            self.qkv = nn.Linear(d, 3 * d, bias=bias)
            self.proj = nn.Linear(d, d, bias=bias)
        elif keys == "maxvit":
            self.to_qkv = nn.Linear(d, 3 * d, bias=bias)
            self.merge = nn.Linear(d, d, bias=bias)
        else:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * d, d))
            self.in_proj_bias = nn.Parameter(torch.zeros(3 * d)) if bias else None
            self.out_proj = nn.Linear(d, d, bias=bias)
            nn.init.xavier_uniform_(self.in_proj_weight)     # nn.MultiheadAttention's init
            if bias:
                nn.init.zeros_(self.out_proj.bias)

    def in_projection(self):
        # type: () -> Tuple[Tensor, Optional[Tensor]]
        """The q, k, v projection's weight (3d×d: q, k, v stacked) and bias, by `keys`."""
        if self.qkv is not None:
            return self.qkv.weight, self.qkv.bias
        if self.to_qkv is not None:
            return self.to_qkv.weight, self.to_qkv.bias
        assert self.in_proj_weight is not None
        return self.in_proj_weight, self.in_proj_bias

    def out_projection(self, y):
        # type: (Tensor) -> Tensor
        if self.proj is not None:
            return self.proj(y)
        if self.merge is not None:
            return self.merge(y)
        assert self.out_proj is not None
        return self.out_proj(y)

    def forward(self, q, k=None, v=None, mask=None):
        # type: (Tensor, Optional[Tensor], Optional[Tensor], Optional[Tensor]) -> Tensor
        """q: N×…×Lq×d; k, v: N×…×Lk×d (none: self-attention; k alone: v = k); mask: N×Lk
        bools, True where a key is attended (PyTorch's key_padding_mask is ~mask)."""
        w, b = self.in_projection()
        grid = q.shape[-4:-2] if q.dim() >= 5 else [1, 1]          # windows down, across
        if k is None:
            q, key, value = F.linear(q, w, b).chunk(3, dim=-1)         # one projection
        else:
            d = q.shape[-1]
            value = k if v is None else v
            q = F.linear(q, w[:d], None if b is None else b[:d])
            key = F.linear(k, w[d:2 * d], None if b is None else b[d:2 * d])
            value = F.linear(value, w[2 * d:], None if b is None else b[2 * d:])
        lq, lk = q.shape[-2], key.shape[-2]
        # N×…×L×d → N×…×heads×L×(d/heads)
        q = q.unflatten(-1, [self.heads, -1]).transpose(-3, -2)
        key = key.unflatten(-1, [self.heads, -1]).transpose(-3, -2)
        value = value.unflatten(-1, [self.heads, -1]).transpose(-3, -2)
        table, index = self.relative_position_bias_table, self.relative_position_index
        if mask is not None:
            mask = mask.unsqueeze(1).unsqueeze(2)      # N×1×1×Lk: for every head and query
        if self.causal and (mask is not None or table is not None):
            causal = torch.ones(lq, lk, dtype=torch.bool, device=q.device).tril()
            mask = causal if mask is None else mask & causal
        if table is not None and index is not None:
            bias = table[index].view(lq, lk, -1).movedim(-1, 0)          # heads×Lq×Lk
            if self.shift_h > 0 or self.shift_w > 0:
                bias = bias + self.shift_mask(grid[0], grid[1], q.device)
            mask = bias if mask is None else torch.where(mask, bias, float("-inf"))
        windows = [n for n in q.shape[1:-3]]          # N×windows…×heads×L×d: the windows
        windowed = q.dim() > 4
        if windowed:
            # SDPA's ONNX export takes N×heads×L×d only: the windows join the heads.
            q, key, value = q.flatten(1, -3), key.flatten(1, -3), value.flatten(1, -3)
            if mask is not None:
                mask = mask.expand(windows + [self.heads, lq, lk]).reshape(-1, lq, lk)
        y = F.scaled_dot_product_attention(
            q, key, value, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0,
            is_causal=self.causal and mask is None, scale=self.scale)
        y = y.unflatten(1, windows + [self.heads]) if windowed else y
        return self.out_projection(y.transpose(-3, -2).flatten(-2))     # N×…×Lq×d

    def shift_mask(self, gh, gw, device):
        # type: (int, int, torch.device) -> Tensor
        """Gh×Gw×1×T×T: 0 within a region of the rolled map, −100 across (torchvision's)."""
        h, w = self.window_h, self.window_w
        sh = self.shift_h if gh > 1 else 0
        sw = self.shift_w if gw > 1 else 0
        rows = torch.arange(gh * h, device=device)
        cols = torch.arange(gw * w, device=device)
        # The regions of torchvision's shifted_window_attention: [0, −window), [−window,
        # −shift), [−shift, end) along each shifted dim; one region along the others.
        row_region = (rows >= gh * h - h).long() + (rows >= gh * h - sh).long()
        col_region = (cols >= gw * w - w).long() + (cols >= gw * w - sw).long()
        if sh == 0:
            row_region = torch.zeros_like(rows)
        if sw == 0:
            col_region = torch.zeros_like(cols)
        region = row_region[:, None] * 3 + col_region[None, :]                # the map
        region = region.view(gh, h, gw, w).transpose(-3, -2).reshape(gh, gw, 1, h * w)
        apart = region != region.transpose(-2, -1)                           # Gh×Gw×T×T
        return torch.zeros(apart.shape, device=device).masked_fill(apart, -100.0).unsqueeze(-3)
''',
}

HEADER = '''"""PyTorch modules generated by archlang from {path}.

Inputs use PyTorch's layout: N×C×H×W for images (the spec's W×H×C), N×C×L for sequences
(L×C), N×C×D×H×W for volumes (W×H×D×C), N×F for vectors and N×L for token ids. Per-token
layers hold sequences N×L×C; each class's docstring gives its outputs' layout.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
'''

KERNEL = object()
DEFAULT_KWARGS = {
    "nn.Conv": {"stride": 1, "padding": 0, "dilation": 1, "groups": 1},
    "nn.ConvTranspose": {"stride": 1, "padding": 0, "dilation": 1, "groups": 1},
    "nn.MaxPool": {"stride": KERNEL, "padding": 0}, "nn.AvgPool": {"stride": KERNEL, "padding": 0},
}
"""Keyword arguments a layer leaves out at their default: calls of one block that differ only
in leaving one out (stride=s with s = 1) still share a class."""
KWARG_ORDER = ("kernel_size", "stride", "padding", "dilation", "groups", "bias", "eps", "momentum")

RESERVED = {"torch", "nn", "F", "self", "x", "super", "float", "range", "int", "print", "object",
            "type", *HELPERS}
VARIABLES = ("x", "h", "y", "z")
