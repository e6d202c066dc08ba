"""Attention modules → archlang's MultiHeadAttention (and, for Swin, its windows).

Recognised by class and attributes, not traced: their forwards compute the scores with
einsum, index tables or call functions torch.fx keeps whole (torchvision's
`shifted_window_attention`). Each is written as archlang's attention with the keys of the
original's state_dict (`keys="swin"`, `keys="maxvit"`: docs/language.md, "Attention"):

- `nn.MultiheadAttention` (batch_first, self-attention): `MultiHeadAttention(d, heads)`;
- archlang's own compiled `Attention` (tables.HELPERS), so that a compiled spec converts back;
- torchvision's Swin `ShiftedWindowAttention` on an N×H×W×C map: the windows written out as
  specs/zoo/swin_t.arch writes them (circshift, Windows, the attention with its relative bias
  and shift mask, MergeWindows, circshift back);
- torchvision's MaxViT `RelativePositionalMultiHeadAttention` on N×windows×tokens×C.
"""
from __future__ import annotations

from torch import nn

from .recognise import Layer, Num, Unsupported, real, reshape_layer, zero_pad
from .windows import merge_layer, window_text, windows_layer


def _kind(m) -> str | None:
    cls = type(m)
    if cls is nn.MultiheadAttention:
        return "torch"
    if cls.__name__ == "Attention" and all(hasattr(m, a) for a in ("heads", "window_h", "shift_h", "causal")):
        return "archlang"           # backends/torch/tables.py HELPERS["Attention"], compiled
    if cls.__module__.startswith("torchvision.models.swin_transformer"):
        if cls.__name__ == "ShiftedWindowAttention":
            return "swin"
        if cls.__name__ == "ShiftedWindowAttentionV2":
            return "swin_v2"
    if cls.__module__.startswith("torchvision.models.maxvit") and \
            cls.__name__ == "RelativePositionalMultiHeadAttention":
        return "maxvit"
    return None


def is_attention(m) -> bool:
    return _kind(m) is not None


def is_opaque(m) -> bool:
    """A module run whole when shapes are followed (trace.py), its inside never traced."""
    return _kind(m) not in (None, "torch")


def attention(m, where: str, node_args: tuple, node_kwargs: dict, shape_in: tuple) -> list[Layer]:
    """The layers a call of attention module `m` computes on an input of PyTorch shape
    `shape_in` (channels last); Unsupported where no spec computes it."""
    kind = _kind(m)
    if kind == "torch":
        return [_multihead(m, where, node_args, node_kwargs)]
    if len(node_args) != 1 or node_kwargs:
        raise Unsupported(where, type(m).__name__, "attention called with several inputs")
    if kind == "archlang":
        return [_compiled(m, where)]
    if kind == "swin":
        return _swin(m, where, shape_in)
    if kind == "maxvit":
        return [_maxvit(m, where)]
    raise Unsupported(where, type(m).__name__, "Swin V2's cosine attention with a continuous "
                      "position bias has no archlang layer yet")


def _layer(d: int, heads: int, where: str, **options) -> Layer:
    """MultiHeadAttention(d, heads; options…) keeping the module's attribute name (structure.py
    names it)."""
    layer = Layer("MultiHeadAttention", [[Num(d, "c")], [Num(heads, "h")]], weighted=True)
    for key, value in options.items():
        if value is not None:
            layer.kw.append((key, value))
    return layer


def _multihead(m: nn.MultiheadAttention, where: str, args: tuple, kwargs: dict) -> Layer:
    if not m.batch_first:
        raise Unsupported(where, "MultiheadAttention", "batch_first=False (archlang's sequences are "
                          "N×L×C)")
    if not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
        raise Unsupported(where, "MultiheadAttention", "kdim/vdim, add_bias_kv or add_zero_attn")
    query = args[0] if args else kwargs.get("query")
    rest = [*args[1:3], kwargs.get("key"), kwargs.get("value")]
    if any(a is not None and a is not query for a in rest):
        raise Unsupported(where, "MultiheadAttention", "attention from one sequence to another "
                          "(write it in a graph body: MultiHeadAttention(d, h)(q, kv))")
    for key in ("key_padding_mask", "attn_mask"):
        if kwargs.get(key) is not None:
            raise Unsupported(where, "MultiheadAttention", f"{key}= (archlang's masks are inputs "
                              "of a graph body: `(x; mask=m)`, `causal=true`)")
    if kwargs.get("is_causal"):
        raise Unsupported(where, "MultiheadAttention", "is_causal with a mask")
    bias = m.in_proj_bias is not None
    if bias != (m.out_proj.bias is not None):
        raise Unsupported(where, "MultiheadAttention", "biases on some projections only")
    return _layer(m.embed_dim, m.num_heads, where, bias=None if bias else ["false"],
                  dropout=[real(m.dropout)] if m.dropout else None)


def _scale(scale: float | None, d: int, heads: int) -> list | None:
    """`scale=`: left out at SDPA's 1/√(d/heads), `c^-0.5` for MaxViT's 1/√d (a number that
    a block's parameter can carry), else the number."""
    if scale is None or scale == (d // heads) ** -0.5:
        return None
    if scale == d ** -0.5:
        return [Num(d, "c"), "^-0.5"]
    return [real(scale)]


def _compiled(m, where: str) -> Layer:
    """archlang's own compiled Attention: its constructor's arguments, back."""
    keys = "swin" if getattr(m, "qkv", None) is not None else \
        "maxvit" if getattr(m, "to_qkv", None) is not None else "torch"
    weight, bias = m.in_projection()
    d, heads = weight.shape[1], m.heads
    window = window_text(m.window_h, m.window_w) if m.window_h else None
    shift = None
    if m.shift_h or m.shift_w:
        shift = [Num(m.shift_w, "s")] if m.shift_h == m.shift_w else \
            ["(", Num(m.shift_w, "s"), ", ", Num(m.shift_h, "s"), ")"]
    return _layer(d, heads, where, bias=None if bias is not None else ["false"],
                  dropout=[real(m.dropout)] if m.dropout else None,
                  causal=["true"] if m.causal else None, relative_bias=window, shift=shift,
                  scale=_scale(m.scale, d, heads), keys=[f'"{keys}"'] if keys != "torch" else None)


def _swin(m, where: str, shape: tuple) -> list[Layer]:
    """torchvision's ShiftedWindowAttention on N×H×W×C, as specs/zoo/swin_t.arch writes it:
    the map padded with zeros to a multiple of the window (where the window does not divide
    it), rolled by −shift, in windows, attended, merged, rolled back and cropped."""
    _, H, W, C = shape
    (wh, ww), (sh, sw) = m.window_size, m.shift_size
    pb, pr = (wh - H % wh) % wh, (ww - W % ww) % ww
    Hp, Wp = H + pb, W + pr
    # torchvision's shifted_window_attention: no shift along a dim the window covers.
    sh, sw = (0 if wh >= Hp else sh), (0 if ww >= Wp else sw)
    bias = m.qkv.bias is not None
    if bias != (m.proj.bias is not None):
        raise Unsupported(where, type(m).__name__, "a bias on one projection only")
    window = window_text(wh, ww)
    gw, gh, tokens = Wp // ww, Hp // wh, wh * ww
    shifted = sh or sw
    shift = (["(", Num(-sw, "s"), ", ", Num(-sh, "s"), ")"], ["(", Num(sw, "s"), ", ", Num(sh, "s"), ")"])
    attend = _layer(C, m.num_heads, where, bias=None if bias else ["false"],
                    dropout=[real(m.attention_dropout)] if m.attention_dropout else None,
                    relative_bias=window,
                    shift=(["(", Num(sw, "s"), ", ", Num(sh, "s"), ")"] if sw != sh else [Num(sw, "s")])
                    if shifted else None,
                    keys=['"swin"'])
    layers = [zero_pad((0, 0), (pr, pb))] if pr or pb else []
    if shifted:
        layers.append(Layer("circshift", [shift[0]]))
    layers.append(windows_layer(wh, ww))
    if shifted:
        layers.append(reshape_layer((tokens, gw, gh, C)))
    layers.append(attend)
    if shifted:
        layers.append(reshape_layer((tokens, gw * gh, C)))
    if m.dropout:
        layers.append(Layer("Dropout", [[real(m.dropout)]]))
    layers.append(merge_layer(wh, ww, Wp, Hp))
    if shifted:
        layers.append(Layer("circshift", [shift[1]]))
    if pr:
        layers.append(Layer("Slice", [[Num(1, "n")], [Num(W, "n")]], kw=[("dims", ["1"])]))
    if pb:
        layers.append(Layer("Slice", [[Num(1, "n")], [Num(H, "n")]], kw=[("dims", ["2"])]))
    return layers


def _maxvit(m, where: str) -> Layer:
    """torchvision's MaxViT attention on N×G×P×D: scores scaled by 1/√D (feat_dim ** -0.5)."""
    d, heads, size = m.merge.out_features, m.n_heads, m.size
    if m.to_qkv.bias is None or m.merge.bias is None:
        raise Unsupported(where, type(m).__name__, "projections without biases")
    return _layer(d, heads, where, relative_bias=window_text(size, size),
                  scale=_scale(m.scale_factor, d, heads), keys=['"maxvit"'])
