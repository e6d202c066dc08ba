"""Every bound archlang puts on its inputs, in one place (documented in docs/language.md).

Each limit is enforced where the work it bounds happens, as a positioned diagnostic (or, for
training data and loading, a clear error), so that any input finishes in bounded time and
memory. Tests assert each one.
"""
from __future__ import annotations

MAX_FILE_BYTES = 1 << 20          # a spec file: 1 MiB (a 10,000-layer listing is about 300 KB)
MAX_NESTING = 100                 # brackets inside brackets
MAX_NAME_LENGTH = 256             # characters of one name
MAX_NUMBER_DIGITS = 40            # digits of one number literal (sizes stop at 2^40 anyway)
MAX_STRING_LENGTH = 4096          # characters of one string literal
MAX_BLOCK_DEPTH = 64              # blocks calling blocks, counted along one call path
MAX_NODES = 200_000               # layer nodes of one model after blocks and repeats expand
MAX_PROGRAM_NODES = 400_000       # layer nodes of all the models one check builds together (and
                                  # terms evaluated for them): a file's models, with its imports'
                                  # blocks; one call of the API, one playground or editor request
MAX_PROGRAM_BYTES = 4 << 20       # a spec and every file it imports, together: 4 MiB
UNROLL_LIMIT = 1_024              # a repeat expanding to more layers than this is folded:
                                  # checked once, its counts multiplied (see docs/language.md)
MAX_DIAGNOSTICS = 200             # diagnostics reported for one file; the rest are counted
MAX_LOAD_ELEMENTS = 1 << 31       # parameters + buffers a compiled module may allocate (8 GiB fp32)
