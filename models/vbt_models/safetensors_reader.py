"""A small reader for the safetensors format (no dependency on the `safetensors` package).

Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping
each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
relative to the end of the header; an optional "__metadata__" entry holds
strings), then the raw little-endian tensor bytes, row-major.
"""

import json
import math
import os
import struct
import sys
from typing import Dict

import torch

from .errors import SourceError

# The format caps the header at 100 MB; anything larger is not a safetensors file.
MAX_HEADER_BYTES = 100 * 1024 * 1024

DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
    "BOOL": (torch.bool, 1),
}


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """All tensors of a .safetensors file, on the CPU, in their stored dtype."""
    if sys.byteorder != "little":
        raise SourceError("reading safetensors needs a little-endian machine")
    try:
        file_size = os.path.getsize(path)
        handle = open(path, "rb")
    except OSError as error:
        raise SourceError(f"cannot open {path}: {error.strerror}") from None
    with handle:
        prefix = handle.read(8)
        if len(prefix) != 8:
            raise SourceError(f"{path} is not a safetensors file (shorter than 8 bytes)")
        (header_size,) = struct.unpack("<Q", prefix)
        if header_size > MAX_HEADER_BYTES or 8 + header_size > file_size:
            raise SourceError(f"{path} is not a safetensors file (header size {header_size} is impossible)")
        try:
            header = json.loads(handle.read(header_size).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SourceError(f"{path} has a corrupt safetensors header: {error}") from None
        if not isinstance(header, dict):
            raise SourceError(f"{path} has a corrupt safetensors header (not a JSON object)")
        data_start = 8 + header_size
        data_size = file_size - data_start
        tensors: Dict[str, torch.Tensor] = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            tensors[name] = _read_one(handle, path, name, info, data_start, data_size)
        return tensors


def _read_one(handle, path: str, name: str, info, data_start: int, data_size: int) -> torch.Tensor:
    def bad(reason: str) -> SourceError:
        return SourceError(f"{path}: tensor {name!r} {reason}")

    if not isinstance(info, dict):
        raise bad("has no descriptor object")
    dtype_name = info.get("dtype")
    if dtype_name not in DTYPES:
        raise bad(f"has unsupported dtype {dtype_name!r}")
    shape = info.get("shape")
    offsets = info.get("data_offsets")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise bad(f"has an invalid shape {shape!r}")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) for o in offsets)
        or not 0 <= offsets[0] <= offsets[1] <= data_size
    ):
        raise bad(f"has invalid data offsets {offsets!r}")
    dtype, item_size = DTYPES[dtype_name]
    count = math.prod(shape)
    nbytes = count * item_size
    if offsets[1] - offsets[0] != nbytes:
        raise bad(f"has {offsets[1] - offsets[0]} bytes of data, but shape {shape} of {dtype_name} needs {nbytes}")
    if count == 0:
        return torch.empty(shape, dtype=dtype)
    handle.seek(data_start + offsets[0])
    raw = bytearray(handle.read(nbytes))
    if len(raw) != nbytes:
        raise bad("is cut short (file truncated)")
    return torch.frombuffer(raw, dtype=dtype).reshape(shape)
