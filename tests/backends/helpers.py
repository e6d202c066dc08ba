"""Compile a spec, run the generated module, and compare it with the static check."""
from __future__ import annotations

import torch

import archlang
from archlang.backends.torch import generate, load_source
from archlang.backends.torch.layout import example_input


def compiled(spec, model=None, device="cpu"):
    """(report, generated, module instance) of one model of a spec (file or text)."""
    result = archlang.check(spec)
    assert result.ok, [str(d) for d in result.diagnostics]
    report = result.model(model)
    gen = generate([report], result.path)
    with torch.device(device):
        module = load_source(gen, report.name)
    return report, gen, module


def attention_modules(module) -> list[str]:
    """The paths of the generated `Attention` modules (tables.HELPERS): their out_proj is
    theirs, not a submodule the spec names."""
    return [n for n, m in module.named_modules() if type(m).__name__ == "Attention"]


def param_count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def forward_agrees(report, gen, module, batch: int = 2) -> None:
    """A forward pass gives check's output shapes, and every generated submodule's output has
    the static shape of the node it was generated from. (A graph body's inputs are forward's
    arguments and several outputs a tuple; attention's own out_proj is not generated.)"""
    expected = gen.maps[report.name].submodules
    attention = set(attention_modules(module))
    names = {n for n, _ in module.named_modules()
             if n and not any(n.startswith(a + ".") for a in attention)}
    assert names == set(expected), (names ^ set(expected))
    seen = {}

    def hook(mod, i, o, n):
        seen[n] = tuple((o[0] if isinstance(o, tuple) else o).shape)

    hooks = [m.register_forward_hook(lambda mod, i, o, n=n: hook(mod, i, o, n))
             for n, m in module.named_modules() if n in names]
    try:
        module.eval()
        with torch.no_grad():
            ys = module(*[example_input(s, batch) for _, s in report.inputs])
    finally:
        for h in hooks:
            h.remove()
    ys = ys if isinstance(ys, tuple) else (ys,)
    layout = gen.maps[report.name]
    assert [tuple(y.shape) for y in ys] == [(batch, *layout.torch_shape(n, report.infos[n].out, True))
                                            for _, n in report.model.outputs
                                            or [("out", report.model.output)]]
    for name, (node, raw) in expected.items():
        want = raw if raw is not None else layout.torch_shape(node, report.infos[node].out)
        assert seen[name] == (batch, *want), (name, seen[name], want)


def activation_elements(report) -> int:
    return sum(i.out.numel for i in report.infos)
