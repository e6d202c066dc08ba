"""Reader for the IDX format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist).

Layout, all integers big-endian: two zero bytes, a type byte, a byte giving the number of
dimensions n, then n uint32 sizes, then the data in row-major order. Files may be gzipped.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import TrainError

# type byte → big-endian numpy dtype (the format's table)
_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """Read one IDX file (plain or .gz, detected from its first bytes) into an array of the
    stored shape and dtype. Raises TrainError naming the file on any malformed header,
    unknown type or wrong data length."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise TrainError(f"cannot read {path}: {str(err) or type(err).__name__}",
                         "the file is corrupt or truncated; download it again") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise TrainError(f"{path} is not an IDX file (it starts with {raw[:4].hex(' ') or 'nothing'})",
                         "IDX files start with 00 00, a type byte and a dimension count")
    kind, ndim = raw[2], raw[3]
    if kind not in _TYPES:
        raise TrainError(f"{path} has unknown IDX type byte 0x{kind:02x}",
                         "known types: " + ", ".join(f"0x{k:02x}" for k in _TYPES))
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise TrainError(f"{path} is truncated inside its header ({len(raw)} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_TYPES[kind])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise TrainError(f"{path} holds {len(raw) - header} data bytes but its header "
                         f"({'×'.join(map(str, dims))} of {dtype.name}) needs {expected}",
                         "the file is truncated or corrupt; download it again")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def idx_dims(path) -> tuple[int, ...]:
    """The sizes an IDX file's header declares (60000, 28, 28 for MNIST's training images),
    read without its data; TrainError as `read_idx` for a file that is not IDX."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            gzipped = f.read(2) == b"\x1f\x8b"
        with (gzip.open if gzipped else open)(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _TYPES:
                raise TrainError(f"{path} is not an IDX file (it starts with "
                                 f"{head.hex(' ') or 'nothing'})",
                                 "IDX files start with 00 00, a type byte and a dimension count")
            sizes = f.read(4 * head[3])
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise TrainError(f"cannot read {path}: {str(err) or type(err).__name__}",
                         "the file is corrupt or truncated; download it again") from None
    if len(sizes) < 4 * head[3]:
        raise TrainError(f"{path} is truncated inside its header")
    return struct.unpack(f">{head[3]}I", sizes)


def find_idx(folder, stem: str) -> Path:
    """The file `stem` or `stem.gz` in `folder`, also accepting the common spelling with a dot
    (train-images.idx3-ubyte); TrainError listing what is there if absent."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TrainError(f"data folder {folder} does not exist",
                         "put the IDX files (train-images-idx3-ubyte.gz, ...) in it")
    parts = stem.split("-")
    alt = "-".join(parts[:2]) + "." + "-".join(parts[2:])
    for name in (stem, stem + ".gz", alt, alt + ".gz"):
        if (folder / name).is_file():
            return folder / name
    present = sorted(p.name for p in folder.iterdir())[:8]
    raise TrainError(f"{folder} has no {stem}[.gz]",
                     "found: " + (", ".join(present) if present else "an empty folder"))
