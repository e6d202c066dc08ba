"""Small transformers written as torchvision writes ViT, Swin and MaxViT (torchvision is not
importable here): the same module structure, keys and forward patterns at toy sizes.

The attention modules that from-torch recognises by class (torchvision's Swin
ShiftedWindowAttention, MaxViT RelativePositionalMultiHeadAttention) are reproduced with
their `__module__`, computing what torchvision's do (torchvision/models/swin_transformer.py,
maxvit.py: the oracle the converted spec is compared with).
"""
import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import fx, nn

from tests.fromtorch.nets import Permute


# ---- ViT ------------------------------------------------------------------------------------
class EncoderBlock(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.dropout = nn.Dropout(0.0)
        self.ln_2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(d, mlp), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp, d),
                                 nn.Dropout(0.0))

    def forward(self, input):
        torch._assert(input.dim() == 3, "Expected (batch_size, seq_length, hidden_dim)")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x)
        x = x + input
        y = self.ln_2(x)
        y = self.mlp(y)
        return x + y


class Encoder(nn.Module):
    def __init__(self, length, layers, d, heads, mlp):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, length, d).normal_(std=0.02))
        self.dropout = nn.Dropout(0.0)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(d, heads, mlp)) for i in range(layers)))
        self.ln = nn.LayerNorm(d, eps=1e-6)

    def forward(self, input):
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))


class TinyViT(nn.Module):
    """torchvision's VisionTransformer at 16×16 pixels, patches of 8, width 16, 2 layers."""

    def __init__(self, image=16, patch=8, d=16, layers=2, heads=2, mlp=32, classes=5):
        super().__init__()
        self.image, self.patch, self.d = image, patch, d
        self.conv_proj = nn.Conv2d(3, d, kernel_size=patch, stride=patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, d))
        self.encoder = Encoder((image // patch) ** 2 + 1, layers, d, heads, mlp)
        self.heads = nn.Sequential(OrderedDict(head=nn.Linear(d, classes)))

    def forward(self, x):
        n, c, h, w = x.shape
        torch._assert(h == self.image, "Wrong image height!")
        x = self.conv_proj(x)
        x = x.reshape(n, self.d, (h // self.patch) * (w // self.patch))
        x = x.permute(0, 2, 1)
        batch_class_token = self.class_token.expand(x.shape[0], -1, -1)
        x = torch.cat([batch_class_token, x], dim=1)
        x = self.encoder(x)
        x = x[:, 0]
        return self.heads(x)


# ---- Swin -------------------------------------------------------------------------------------
def _patch_merging_pad(x):
    H, W, _ = x.shape[-3:]
    x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
    x0 = x[..., 0::2, 0::2, :]
    x1 = x[..., 1::2, 0::2, :]
    x2 = x[..., 0::2, 1::2, :]
    x3 = x[..., 1::2, 1::2, :]
    return torch.cat([x0, x1, x2, x3], -1)


fx.wrap("_patch_merging_pad")


class PatchMerging(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x):
        return self.reduction(self.norm(_patch_merging_pad(x)))


def shifted_window_attention(input, qkv_weight, proj_weight, bias, window_size, num_heads, shift_size,
                             qkv_bias, proj_bias):
    """torchvision's shifted_window_attention (dropouts left out: eval mode)."""
    B, H, W, C = input.shape
    pad_r = (window_size[1] - W % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - H % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_H, pad_W, _ = x.shape
    shift_size = shift_size.copy()
    if window_size[0] >= pad_H:
        shift_size[0] = 0
    if window_size[1] >= pad_W:
        shift_size[1] = 0
    if sum(shift_size) > 0:
        x = torch.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    num_windows = (pad_H // window_size[0]) * (pad_W // window_size[1])
    x = x.view(B, pad_H // window_size[0], window_size[0], pad_W // window_size[1], window_size[1], C)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B * num_windows, window_size[0] * window_size[1], C)
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), x.size(1), 3, num_heads, C // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    q = q * (C // num_heads) ** -0.5
    attn = q.matmul(k.transpose(-2, -1)) + bias
    if sum(shift_size) > 0:
        attn_mask = x.new_zeros((pad_H, pad_W))
        h_slices = ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None))
        w_slices = ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None))
        count = 0
        for h in h_slices:
            for w in w_slices:
                attn_mask[h[0]:h[1], w[0]:w[1]] = count
                count += 1
        attn_mask = attn_mask.view(pad_H // window_size[0], window_size[0], pad_W // window_size[1], window_size[1])
        attn_mask = attn_mask.permute(0, 2, 1, 3).reshape(num_windows, window_size[0] * window_size[1])
        attn_mask = attn_mask.unsqueeze(1) - attn_mask.unsqueeze(2)
        attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
        attn = attn.view(x.size(0) // num_windows, num_windows, num_heads, x.size(1), x.size(1))
        attn = attn + attn_mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, num_heads, x.size(1), x.size(1))
    attn = F.softmax(attn, dim=-1)
    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), x.size(1), C)
    x = F.linear(x, proj_weight, proj_bias)
    x = x.view(B, pad_H // window_size[0], pad_W // window_size[1], window_size[0], window_size[1], C)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, pad_H, pad_W, C)
    if sum(shift_size) > 0:
        x = torch.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :H, :W, :].contiguous()


fx.wrap("shifted_window_attention")


class ShiftedWindowAttention(nn.Module):
    """torchvision's, recognised by its class (its forward is not traced)."""

    def __init__(self, dim, window_size, shift_size, num_heads):
        super().__init__()
        self.window_size, self.shift_size, self.num_heads = window_size, shift_size, num_heads
        self.attention_dropout = self.dropout = 0.0
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        h, w = window_size
        self.relative_position_bias_table = nn.Parameter(torch.randn((2 * h - 1) * (2 * w - 1), num_heads) * 0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += h - 1
        rel[:, :, 1] += w - 1
        rel[:, :, 0] *= 2 * w - 1
        self.register_buffer("relative_position_index", rel.sum(-1).flatten())

    def forward(self, x):
        n = self.window_size[0] * self.window_size[1]
        bias = self.relative_position_bias_table[self.relative_position_index].view(n, n, -1)
        bias = bias.permute(2, 0, 1).contiguous().unsqueeze(0)
        return shifted_window_attention(x, self.qkv.weight, self.proj.weight, bias, self.window_size,
                                        self.num_heads, self.shift_size, self.qkv.bias, self.proj.bias)


ShiftedWindowAttention.__module__ = "torchvision.models.swin_transformer"


class SwinBlock(nn.Module):
    def __init__(self, dim, heads, shift):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ShiftedWindowAttention(dim, [2, 2], [shift, shift], heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(0.0),
                                 nn.Linear(2 * dim, dim), nn.Dropout(0.0))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinySwin(nn.Module):
    """torchvision's SwinTransformer: 2×2 windows, 8×8 then 4×4 maps of 8 and 16 channels."""

    def __init__(self, classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, kernel_size=2, stride=2), Permute([0, 2, 3, 1]), nn.LayerNorm(8)),
            nn.Sequential(SwinBlock(8, 2, 0), SwinBlock(8, 2, 1)),
            PatchMerging(8),
            nn.Sequential(SwinBlock(16, 4, 0), SwinBlock(16, 4, 1)))
        self.norm = nn.LayerNorm(16)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        x = self.features(x)
        x = self.norm(x)
        x = self.permute(x)
        return self.head(self.flatten(self.avgpool(x)))


# ---- MaxViT's window and grid attention, its blocks a ModuleList ------------------------------
class RelativePositionalMultiHeadAttention(nn.Module):
    """torchvision's MaxViT attention: scores scaled by feat_dim ** -0.5, a T×T index."""

    def __init__(self, feat_dim, head_dim, max_seq_len):
        super().__init__()
        self.n_heads, self.head_dim = feat_dim // head_dim, head_dim
        self.size, self.max_seq_len = int(math.sqrt(max_seq_len)), max_seq_len
        self.to_qkv = nn.Linear(feat_dim, self.n_heads * self.head_dim * 3)
        self.scale_factor = feat_dim ** -0.5
        self.merge = nn.Linear(self.head_dim * self.n_heads, feat_dim)
        s = self.size
        self.relative_position_bias_table = nn.Parameter(torch.randn((2 * s - 1) ** 2, self.n_heads) * 0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(s), torch.arange(s), indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += s - 1
        rel[:, :, 1] += s - 1
        rel[:, :, 0] *= 2 * s - 1
        self.register_buffer("relative_position_index", rel.sum(-1))

    def forward(self, x):
        B, G, P, D = x.shape
        H, DH = self.n_heads, self.head_dim
        q, k, v = torch.chunk(self.to_qkv(x), 3, dim=-1)
        q = q.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        k = k.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        v = v.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        k = k * self.scale_factor
        dot = torch.einsum("B G H I D, B G H J D -> B G H I J", q, k)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(self.max_seq_len, self.max_seq_len, -1).permute(2, 0, 1).contiguous().unsqueeze(0)
        dot = F.softmax(dot + bias, dim=-1)
        out = torch.einsum("B G H I J, B G H J D -> B G H I D", dot, v)
        return self.merge(out.permute(0, 1, 3, 2, 4).reshape(B, G, P, D))


RelativePositionalMultiHeadAttention.__module__ = "torchvision.models.maxvit"


class WindowPartition(nn.Module):
    def forward(self, x, p: int):
        B, C, H, W = x.shape
        x = x.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(B, (H // p) * (W // p), p * p, C)


class WindowDepartition(nn.Module):
    def forward(self, x, p: int, hp: int, wp: int):
        B, G, PP, C = x.shape
        x = x.reshape(B, hp, wp, p, p, C).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(B, C, hp * p, wp * p)


class SwapAxes(nn.Module):
    def forward(self, x):
        return torch.swapaxes(x, -2, -3)


class PartitionAttention(nn.Module):
    """MaxViT's PartitionAttentionLayer: windows of 2×2 ("window") or a 2×2 grid ("grid")."""

    def __init__(self, c, grid: bool, size, p=2):
        super().__init__()
        self.p = size // p if grid else p
        self.g = size // self.p
        self.partition_op, self.departition_op = WindowPartition(), WindowDepartition()
        self.partition_swap = SwapAxes() if grid else nn.Identity()
        self.departition_swap = SwapAxes() if grid else nn.Identity()
        self.attn_layer = nn.Sequential(nn.LayerNorm(c), RelativePositionalMultiHeadAttention(c, 4, p * p),
                                        nn.Dropout(0.0))
        self.mlp_layer = nn.Sequential(nn.LayerNorm(c), nn.Linear(c, 2 * c), nn.GELU(), nn.Linear(2 * c, c),
                                       nn.Dropout(0.0))

    def forward(self, x):
        x = self.partition_op(x, self.p)
        x = self.partition_swap(x)
        x = x + self.attn_layer(x)
        x = x + self.mlp_layer(x)
        x = self.departition_swap(x)
        return self.departition_op(x, self.p, self.g, self.g)


class TinyMaxViT(nn.Module):
    """A stem, then a ModuleList of window and grid attention its forward loops over."""

    def __init__(self, classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.GELU())
        self.blocks = nn.ModuleList([PartitionAttention(8, False, 8), PartitionAttention(8, True, 8)])
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(8),
                                        nn.Linear(8, classes))

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.classifier(x)


# ---- layouts ------------------------------------------------------------------------------------
class Mixer(nn.Module):
    """MLP-Mixer's token mixing: a transpose between per-token layers is a permutedims."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, 8, 4, stride=4)
        self.norm = nn.LayerNorm(8)
        self.tokens = nn.Linear(4, 6)
        self.back = nn.Linear(6, 4)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        x = self.proj(x).flatten(2).transpose(1, 2)           # N×4×8: 4 tokens of 8
        y = self.norm(x).transpose(1, 2)                      # N×8×4: mixes the tokens
        x = x + self.back(F.gelu(self.tokens(y))).transpose(1, 2)
        return self.head(x.mean(1))
