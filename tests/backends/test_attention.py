"""The compiled attention (tables.HELPERS["Attention"], F.scaled_dot_product_attention) against
PyTorch's nn.MultiheadAttention and against the relative-position bias written out by hand."""
from __future__ import annotations

import torch
from torch import nn

from .helpers import compiled, forward_agrees, param_count

torch.manual_seed(0)


def reference(module, d, heads, bias=True):
    """nn.MultiheadAttention holding the compiled module's tensors (the same state_dict keys)."""
    ref = nn.MultiheadAttention(d, heads, bias=bias, batch_first=True)
    ref.load_state_dict(module.state_dict())
    return ref.eval()


def test_the_state_dict_is_nn_multiheadattentions():
    _, _, m = compiled("model m(x: 7×16) = MultiHeadAttention(16, 4)")
    assert list(m.attention1.state_dict()) == list(nn.MultiheadAttention(16, 4).state_dict()) == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    _, _, m = compiled("model m(x: 7×16) = MultiHeadAttention(16, 4; bias=false)")
    assert list(m.attention1.state_dict()) == ["in_proj_weight", "out_proj.weight"]


def test_causal_equals_pytorchs_with_a_causal_mask():
    report, gen, m = compiled("model m(x: 7×16) = MultiHeadAttention(16, 4; causal=true)")
    assert "Attention(16, 4, causal=True)" in gen.source
    ref = reference(m.attention1, 16, 4)
    x = torch.randn(2, 16, 7)                            # N×C×L
    t = x.transpose(1, 2)
    later = torch.ones(7, 7, dtype=torch.bool).triu(1)  # True: not attended (PyTorch's rule)
    want = ref(t, t, t, attn_mask=later, need_weights=False)[0]
    got = m.eval()(x)
    assert torch.allclose(got, want, atol=1e-6)
    # Token 1 sees only itself: changing the later tokens leaves it alone.
    x2 = x.clone()
    x2[:, :, 1:] += 1
    assert torch.allclose(m(x2)[:, 0], got[:, 0], atol=1e-6)
    assert not torch.allclose(m(x2)[:, 1], got[:, 1], atol=1e-3)
    assert param_count(m) == report.params == 4 * 16 * 16 + 4 * 16


def test_cross_attention_without_bias():
    _, _, m = compiled("model m(q: 5×8, kv: 9×8) = { return MultiHeadAttention(8, 2; bias=false)(q, kv) }")
    ref = reference(m.attention1, 8, 2, bias=False)
    q, kv = torch.randn(2, 8, 5), torch.randn(2, 8, 9)
    t = kv.transpose(1, 2)
    want = ref(q.transpose(1, 2), t, t, need_weights=False)[0]
    assert torch.allclose(m.eval()(q, kv), want, atol=1e-6)


def test_q_k_v_of_three_values():
    _, _, m = compiled("model m(q: 5×8, k: 9×8, v: 9×8) = { return MultiHeadAttention(8, 2)(q, k, v) }")
    ref = reference(m.attention1, 8, 2)
    q, k, v = torch.randn(2, 8, 5), torch.randn(2, 8, 9), torch.randn(2, 8, 9)
    want = ref(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), need_weights=False)[0]
    assert torch.allclose(m.eval()(q, k, v), want, atol=1e-6)


def test_attention_over_windows_is_pytorchs_per_window():
    # 4 tokens × 3 windows × 16 channels: in PyTorch N×3×4×16 (channels last); the model's
    # input comes channels first, N×16×3×4.
    report, gen, m = compiled("model m(x: 4×3×16) = MultiHeadAttention(16, 4; dropout=0.1)")
    forward_agrees(report, gen, m)
    ref = reference(m.attention1, 16, 4)
    x = torch.randn(2, 16, 3, 4)
    y = m.eval()(x)                                       # back channels first: N×16×3×4
    for w in range(3):
        t = x[:, :, w].transpose(1, 2)                    # window w: N×4×16
        assert torch.allclose(y[:, :, w].transpose(1, 2), ref(t, t, t, need_weights=False)[0],
                              atol=1e-6)
    assert param_count(m) == report.params


def test_relative_position_bias_is_swins():
    # Two windows of 3×2 tokens (w = 3 columns, h = 2 rows, token = column + 3·row, the
    # spec's order), 2 heads.
    report, gen, m = compiled("model m(x: 6×2×8) = MultiHeadAttention(8, 2; relative_bias=(3, 2))")
    forward_agrees(report, gen, m)
    a = m.attention1
    assert "Attention(8, 2, window=(2, 3))" in gen.source        # PyTorch's (h, w)
    assert param_count(m) == report.params == 4 * 64 + 4 * 8 + (2 * 3 - 1) * (2 * 2 - 1) * 2
    assert a.relative_position_index.numel() == report.state == 36
    assert [n for n, _ in a.named_parameters()] == [
        "relative_position_bias_table", "in_proj_weight", "in_proj_bias", "out_proj.weight",
        "out_proj.bias"]                                           # torchvision's Swin's order
    # The bias of query token i and key token j is the table's row for their offset
    # (Δrow + 1, Δcolumn + 2) in a 3×5 grid of offsets.
    rows, cols = torch.arange(6) // 3, torch.arange(6) % 3
    offset = (rows[:, None] - rows[None, :] + 1) * 5 + cols[:, None] - cols[None, :] + 2
    assert torch.equal(a.relative_position_index.view(6, 6), offset)
    with torch.no_grad():
        a.relative_position_bias_table.normal_()
    x = torch.randn(2, 8, 2, 6)                                    # N×C×windows×tokens
    t = x.permute(0, 2, 3, 1)                                      # N×windows×tokens×C
    q, k, v = nn.functional.linear(t, a.in_proj_weight, a.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (z.unflatten(-1, (2, 4)).transpose(-3, -2) for z in (q, k, v))
    bias = a.relative_position_bias_table[offset].permute(2, 0, 1)   # heads×6×6
    scores = (q @ k.transpose(-2, -1)) / 2.0 + bias                # √(8/2) = 2
    y = a.out_proj((scores.softmax(-1) @ v).transpose(-3, -2).flatten(-2))
    assert torch.allclose(m.eval()(x), y.permute(0, 3, 1, 2), atol=1e-5)


def test_the_compiled_attention_scripts():
    for spec in ("model m(x: 6×2×8) = MultiHeadAttention(8, 2; relative_bias=(3, 2), causal=true)",
                 "model m(q: 5×8, kv: 9×8) = { return MultiHeadAttention(8, 2; bias=false)(q, kv) }"):
        _, _, m = compiled(spec)
        scripted = torch.jit.script(m.eval())
        xs = [torch.randn(2, 8, 2, 6)] if "x:" in spec else [torch.randn(2, 8, 5), torch.randn(2, 8, 9)]
        assert torch.allclose(scripted(*xs), m(*xs), atol=1e-6)


def regions(gh, gw, h, w, sh, sw):
    """torchvision's region of every pixel of the rolled map, by its slices, pixel by pixel."""
    H, W = gh * h, gw * w
    bands = lambda n, win, s: [(0, n - win), (n - win, n - s), (n - s, n)]     # noqa: E731
    label = torch.zeros(H, W, dtype=torch.long)
    count = 0
    for r0, r1 in bands(H, h, sh):
        for c0, c1 in bands(W, w, sw):
            label[r0:r1, c0:c1] = count
            count += 1
    return label


def test_shifted_windows_mask_tokens_from_the_far_edge():
    # A 3×2 grid of 3×2 windows (w = 3 columns, h = 2 rows), shifted by (1, 1): spec
    # T×Gw×Gh×C = 6×3×2×8; PyTorch N×Gh×Gw×T×C.
    report, gen, m = compiled("model m(x: 6×3×2×8) = MultiHeadAttention(8, 2; relative_bias=(3, 2), "
                              "shift=1)")
    forward_agrees(report, gen, m)
    assert "Attention(8, 2, window=(2, 3), shift=(1, 1))" in gen.source
    a = m.attention1
    label = regions(2, 3, 2, 3, 1, 1)
    windows = label.view(2, 2, 3, 3).transpose(1, 2).reshape(2, 3, 6)        # Gh×Gw×T
    apart = windows[..., :, None] != windows[..., None, :]
    assert torch.equal(a.shift_mask(2, 3, torch.device("cpu"))[:, :, 0], apart.float() * -100.0)
    assert apart[1, 2].any() and not apart[0, 0].any()        # only edge windows are split
    # The forward pass: the bias and the mask added to the scores before the softmax.
    with torch.no_grad():
        a.relative_position_bias_table.normal_()
    x = torch.randn(2, 8, 2, 3, 6)                            # channels first: N×C×Gh×Gw×T
    t = x.permute(0, 2, 3, 4, 1)
    q, k, v = nn.functional.linear(t, a.in_proj_weight, a.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (z.unflatten(-1, (2, 4)).transpose(-3, -2) for z in (q, k, v))
    bias = a.relative_position_bias_table[a.relative_position_index].view(6, 6, 2).permute(2, 0, 1)
    scores = (q @ k.transpose(-2, -1)) / 2.0 + bias + (apart.float() * -100.0)[:, :, None]
    y = a.out_proj((scores.softmax(-1) @ v).transpose(-3, -2).flatten(-2))
    assert torch.allclose(m.eval()(x), y.permute(0, 4, 1, 2, 3), atol=1e-5)
    torch.jit.script(m)


def test_no_shift_along_a_dim_of_one_window():
    # torchvision's rule: a window as large as the map is not shifted (Swin-T's last stage).
    _, _, m = compiled("model m(x: 4×1×2×8) = MultiHeadAttention(8, 2; relative_bias=2, shift=1)")
    mask = m.attention1.shift_mask(2, 1, torch.device("cpu"))
    label = regions(2, 1, 2, 2, 1, 0).view(2, 2, 1, 2).transpose(1, 2).reshape(2, 1, 4)
    assert torch.equal(mask[:, :, 0], (label[..., :, None] != label[..., None, :]).float() * -100.0)


def test_a_scale_of_the_scores():
    # MaxViT scales q·kᵀ by 1/√d rather than 1/√(d/heads): scale=d^-0.5.
    report, gen, m = compiled("model m(x: 7×16) = MultiHeadAttention(16, 4; scale=16^-0.5)")
    assert "Attention(16, 4, scale=0.25)" in gen.source
    assert str(report.infos[1].layer) == "MultiHeadAttention(16, 4, scale=0.25)"
    a = m.attention1
    x = torch.randn(2, 16, 7)
    t = x.transpose(1, 2)
    q, k, v = (z.unflatten(-1, (4, 4)).transpose(1, 2)
               for z in nn.functional.linear(t, a.in_proj_weight, a.in_proj_bias).chunk(3, dim=-1))
    y = a.out_proj(((q @ k.transpose(-2, -1) * 0.25).softmax(-1) @ v).transpose(1, 2).flatten(-2))
    assert torch.allclose(m.eval()(x), y, atol=1e-6)
    torch.jit.script(m)


def test_a_key_mask_equals_pytorchs_key_padding_mask():
    # true = attend (Hugging Face's attention_mask); PyTorch's key_padding_mask is its
    # complement. With causal=true both apply.
    for causal in ("", "; causal=true"):
        report, gen, m = compiled("model m(q: 5×16, kv: 7×16, keep: 7 of bool) = "
                                  f"{{ return MultiHeadAttention(16, 4{causal})(q, kv; mask=keep) }}")
        forward_agrees(report, gen, m)
        assert "self.attention1(q.transpose(1, 2), kv.transpose(1, 2), mask=keep)" in gen.source
        ref = reference(m.attention1, 16, 4)
        q, kv = torch.randn(2, 16, 5), torch.randn(2, 16, 7)
        keep = torch.tensor([[1, 1, 1, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], dtype=torch.bool)
        t = kv.transpose(1, 2)
        later = torch.ones(5, 7, dtype=torch.bool).triu(1) if causal else None
        want = ref(q.transpose(1, 2), t, t, key_padding_mask=~keep, attn_mask=later,
                   need_weights=False)[0]
        got = m.eval()(q, kv, keep)
        assert torch.allclose(got, want, atol=1e-6)
        # A masked key changes nothing; an attended one does.
        kv2 = kv.clone()
        kv2[0, :, 3] += 1
        assert torch.allclose(m(q, kv2, keep)[0], got[0], atol=1e-6)
        kv2[0, :, 0] += 1
        assert not torch.allclose(m(q, kv2, keep)[0], got[0], atol=1e-3)


def test_the_keys_of_torchvisions_swin_and_maxvit_hold_the_same_numbers():
    # keys="swin": ShiftedWindowAttention's qkv and proj (nn.Linear); keys="maxvit":
    # RelativePositionalMultiHeadAttention's to_qkv and merge, its index a T×T matrix.
    spec = "model m(x: 6×4×8) = MultiHeadAttention(8, 2; relative_bias=(3, 2){})"
    _, _, plain = compiled(spec.format(""))
    x = torch.randn(2, 8, 4, 6)
    for keys, qkv, proj, index in (("swin", "qkv", "proj", (36,)), ("maxvit", "to_qkv", "merge", (6, 6))):
        _, gen, m = compiled(spec.format(f', keys="{keys}"'))
        assert f'Attention(8, 2, window=(2, 3), keys="{keys}")' in gen.source
        state = m.attention1.state_dict()
        assert [(k, tuple(v.shape)) for k, v in state.items()] == [
            ("relative_position_bias_table", (15, 2)), ("relative_position_index", index),
            (f"{qkv}.weight", (24, 8)), (f"{qkv}.bias", (24,)), (f"{proj}.weight", (8, 8)),
            (f"{proj}.bias", (8,))]
        theirs = plain.attention1.state_dict()
        m.attention1.load_state_dict({
            "relative_position_bias_table": theirs["relative_position_bias_table"],
            "relative_position_index": theirs["relative_position_index"].view(index),
            f"{qkv}.weight": theirs["in_proj_weight"], f"{qkv}.bias": theirs["in_proj_bias"],
            f"{proj}.weight": theirs["out_proj.weight"], f"{proj}.bias": theirs["out_proj.bias"]})
        assert torch.equal(m.eval()(x), plain.eval()(x))
        assert torch.allclose(torch.jit.script(m)(x), plain(x), atol=1e-6)
