"""Which sizes of an exported file are dynamic, over which values (`archlang.export`,
`archlang compile --to onnx`).

A model with named input sizes (`model unet(x: W×H×1)`) is exported with one torch.export
`Dim` per name, matching the name's *exact* set of valid sizes (archlang/sizes.py): the
sizes at which the model checks and no strided window drops a row or column. The exact set
is the contract of the file: its sizes are those at which the model computes what the spec
says of every input pixel (`check --strict` accepts them); ViT-B/16 runs in PyTorch at
225..239 too, silently dropping the last rows, and its file is made for 224 only, as
torchvision's ViT asserts. A model with no exact size (every size drops a pixel) takes its
*runs* set instead.

torch.export expresses one arithmetic progression per size: {step·k + r : k_min ≤ k ≤ k_max}.
Step 1 is `Dim("H", min=…, max=…)`; a larger step is the derived dim `step*H_k + r` over
`Dim("H_k", …)` (the U-Net's H = 16·H_k). A set that is not one progression is narrowed,
and the file says so (`SizeDim.narrowed`, a warning at export):
- a union of progressions (a head of single sizes below a periodic tail): the piece that
  holds the sample size (else the unbounded one, else the largest);
- a piece with several residues ({n ≥ 8 : n mod 4 ∈ {0, 3}}): the sample's residue class;
- a single size ({224}): a static dim (no narrowing: that is the whole set);
- a size tied to another by a joint constraint (⌊H/16⌋·⌊W/16⌋ = 196, which no product of
  per-size ranges expresses): static at the sample.
The batch stays dynamic, `batch` as before. Nothing here imports torch.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ...check import ModelReport
from ...layers.layout import torch_dim
from ...sizes import describe
from ...symbolic import SymInt

BATCH = "batch"          # the batch dim's name in every exported file


@dataclass(frozen=True)
class SizeDim:
    """How an exported file takes the named size `name`: every value `first`, `first + step`,
    … up to `last` (None: unbounded); static when `first == last`. `sample`: the size the
    export traces at; `flavour`: the set followed, "exact" or "runs"; `valid`: that set in
    words; `narrowed`: why the file takes fewer sizes than the set ("" when it takes all)."""

    name: str
    first: int
    last: int | None
    step: int
    sample: int
    flavour: str = "exact"
    valid: str = ""
    narrowed: str = ""

    @property
    def static(self) -> bool:
        return self.first == self.last

    @property
    def root(self) -> str:
        """The torch.export Dim's name: the size's own, or `H_k` for H = step·H_k + r."""
        base = self.name if self.name != BATCH else f"{self.name}_size"
        return base if self.step == 1 else f"{base}_k"

    @property
    def residue(self) -> int:
        return self.first % self.step

    @property
    def k_range(self) -> tuple[int, int | None]:
        """(k_min, k_max) of the root: the size is step·k + residue."""
        lo = (self.first - self.residue) // self.step
        hi = None if self.last is None else (self.last - self.residue) // self.step
        return lo, hi

    def formula(self, times: str = "·") -> str:
        """`16·H_k`, `4·W_k + 3`, `H`; `times="*"` spells it as torch names the ONNX dim."""
        if self.step == 1:
            return self.root
        plus = f" + {self.residue}" if times == "·" else f"+{self.residue}"
        return f"{self.step}{times}{self.root}" + (plus if self.residue else "")

    def words(self) -> str:
        """`H = 224`, `H ≥ 1`, `224 ≤ H ≤ 239`, `H = 16·H_k, H_k ≥ 1`."""
        if self.static:
            return f"{self.name} = {self.first}"
        lo, hi = self.k_range
        bound = f"{self.root} ≥ {lo}" if hi is None else f"{lo} ≤ {self.root} ≤ {hi}"
        return bound if self.root == self.name else f"{self.name} = {self.formula()}, {bound}"

    def piece(self) -> dict:
        """The sizes the file takes as one piece of archlang/sizes.py's sets."""
        return {"min": self.first, "max": self.last, "modulus": self.step,
                "residues": [self.residue]}

    def json(self) -> dict:
        return {"dim": None if self.static else self.formula("*"), "min": self.first,
                "max": self.last, "step": self.step, "sample": self.sample,
                "set": self.flavour, "valid": self.valid,
                **({"narrowed": self.narrowed} if self.narrowed else {})}


def input_dims(report: ModelReport) -> list[list[tuple[int, str]]]:
    """Per model input, the PyTorch axes (the batch is axis 0) that hold a named size, and
    its name: [[(2, "H"), (3, "W")]] for `x: W×H×1` (N×C×H×W). Empty lists for a concrete
    model (no names, or `--size` gave them)."""
    out = []
    for _, shape in report.inputs:
        axes = [(torch_dim(len(shape), i + 1), str(d)) for i, d in enumerate(shape)
                if isinstance(d, SymInt) and d.is_variable]
        out.append(axes)
    return out


def size_dims(report: ModelReport) -> dict[str, SizeDim]:
    """The SizeDim of every named size of a checked model's inputs, in order of appearance;
    {} when its inputs are concrete (no named sizes, or `--size` made them concrete)."""
    found = report.input_sizes
    names = list(dict.fromkeys(name for axes in input_dims(report) for _, name in axes))
    if found is None or not names:
        return {}
    tied = _tied(found.joint)
    out = {}
    for name in names:
        out[name] = _size_dim(name, found.variables[name], found.reference[name], tied.get(name))
    return out


def _tied(joint: list[str]) -> dict[str, str]:
    """The sizes that a joint constraint ties to others → that constraint's text."""
    out: dict[str, str] = {}
    for text in joint:
        for name in re.findall(r"[^\W\d]\w*", text):
            out.setdefault(name, text)
    return out


def _size_dim(name: str, found, sample: int, tie: str | None) -> SizeDim:
    flavour, chosen = ("exact", found.exact) if found.exact.smallest() is not None \
        else ("runs", found.runs)
    pieces = chosen.pieces()
    valid = describe(name, pieces)
    if not found.complete:
        valid += f" (explored below {found.explored_below}; larger sizes unknown)"
    if tie is not None and not (len(pieces) == 1 and pieces[0]["min"] == pieces[0]["max"]):
        return SizeDim(name, sample, sample, 1, sample, flavour, valid,
                       f"static at {name} = {sample}: {tie} ties it to another size, which "
                       "per-size ranges cannot express")
    piece = _piece(pieces, sample)
    q, residues = piece["modulus"], piece["residues"]
    r = residues[0]
    if len(residues) > 1:
        r = sample % q if _holds(piece, sample) else residues[0]
    first = piece["min"] + (r - piece["min"]) % q
    last = None if piece["max"] is None else piece["max"] - (piece["max"] - r) % q
    step = 1 if q == 1 or first == last else q
    narrowed = ""
    if len(pieces) > 1 or len(residues) > 1:
        taken = describe(name, [SizeDim(name, first, last, step, sample).piece()])
        narrowed = (f"the file takes {taken} of {valid}: torch.export takes one arithmetic "
                    "progression per size")
    if not (first <= sample and (last is None or sample <= last) and (sample - first) % step == 0):
        # The sample lies outside the progression: trace at its second size, where there
        # is one (torch.export specialises a dim whose sample is 0 or 1).
        sample = first + step if last is None or first + step <= last else first
    return SizeDim(name, first, last, step, sample, flavour, valid, narrowed)


def _holds(piece: dict, n: int) -> bool:
    return n >= piece["min"] and (piece["max"] is None or n <= piece["max"]) \
        and n % piece["modulus"] in piece["residues"]


def _piece(pieces: list[dict], sample: int) -> dict:
    """The piece holding the sample, else the unbounded one, else the one of most sizes."""
    for p in pieces:
        if _holds(p, sample):
            return p
    for p in pieces:
        if p["max"] is None:
            return p
    return max(pieces, key=lambda p: (p["max"] - p["min"]) // p["modulus"] * len(p["residues"]))


def static_dims(dims: dict[str, SizeDim], why: str) -> dict[str, SizeDim]:
    """The same sizes, each static at its sample (the fallback when torch.export refuses)."""
    return {n: SizeDim(n, d.sample, d.sample, 1, d.sample, d.flavour, d.valid, why)
            for n, d in dims.items()}


def summary(dims: dict[str, SizeDim]) -> str:
    """`H = 16·H_k, H_k ≥ 1 (H ∈ {16, 32, 48, …}); W ≥ 1`: each size as the file takes
    it, a derived dim followed by its sizes in words."""
    return "; ".join(f"{d.words()} ({describe(d.name, [d.piece()])})" if d.step > 1
                     else d.words() for d in dims.values())


def metadata(report: ModelReport, dims: dict[str, SizeDim]) -> dict[str, str]:
    """What an exported file records about its sizes (ONNX metadata_props, a TorchScript
    file's extra file): `archlang.sizes` in words, `archlang.input_sizes` as JSON (per size
    its dim, range, sample and both valid sets; the joint constraints)."""
    found = report.input_sizes
    if found is None:
        return {}
    table = {name: {**(dims[name].json() if name in dims else
                       {"dim": None, "min": v, "max": v, "step": 1, "sample": v, "given": True}),
                    **found.variables[name].json()}
             for name, v in (found.table_at or found.reference).items()}
    if found.joint:
        table["joint"] = list(found.joint)
    words = summary(dims) if dims else ", ".join(
        f"{n} = {v}" for n, v in (found.table_at or found.reference).items()) + " (given)"
    return {"archlang.sizes": words, "archlang.input_sizes": json.dumps(table, ensure_ascii=False)}
