#!/usr/bin/env python3
"""The safetensors reader against hand-built bytes, bad files, and (where installed) the safetensors package.

Golden cases are byte strings assembled here from the format description, so
the reader is not only checked against the test writer. Where the
`safetensors` package is importable, files are also exchanged with it in both
directions.

Prints one JSON line; exits 0 when all checks pass, else 1.
"""

import json
import os
import struct
import sys
import tempfile

import torch

from support import emit  # first: puts models/ on sys.path
from safetensors_writer import write_safetensors  # noqa: E402
from vbt_models.errors import SourceError  # noqa: E402
from vbt_models.safetensors_reader import read_safetensors  # noqa: E402


def file_with(root: str, name: str, header: dict, data: bytes, pad: bool = True) -> str:
    encoded = json.dumps(header).encode()
    if pad:
        encoded += b" " * (-len(encoded) % 8)
    path = os.path.join(root, name)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)) + encoded + data)
    return path


def golden(root: str) -> dict:
    data = struct.pack("<2f", 1.0, -2.0) + struct.pack("<q", -5) + struct.pack("<H", 0x3C00) + struct.pack("<H", 0x4049)
    header = {
        "__metadata__": {"format": "pt"},
        "f32": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "i64": {"dtype": "I64", "shape": [1, 1], "data_offsets": [8, 16]},
        "f16": {"dtype": "F16", "shape": [1], "data_offsets": [16, 18]},
        "bf16": {"dtype": "BF16", "shape": [], "data_offsets": [18, 20]},
        "empty": {"dtype": "F32", "shape": [0, 3], "data_offsets": [20, 20]},
    }
    tensors = read_safetensors(file_with(root, "golden.safetensors", header, data))
    return {
        "f32": tensors["f32"].tolist() == [1.0, -2.0] and tensors["f32"].dtype == torch.float32,
        "i64": tensors["i64"].tolist() == [[-5]],
        "f16": tensors["f16"].item() == 1.0 and tensors["f16"].dtype == torch.float16,
        "bf16_scalar": tensors["bf16"].shape == () and abs(tensors["bf16"].item() - 3.140625) < 1e-6,
        "empty": list(tensors["empty"].shape) == [0, 3],
        "metadata_skipped": "__metadata__" not in tensors,
    }


def rejects(path: str, needle: str) -> bool:
    try:
        read_safetensors(path)
    except SourceError as error:
        return needle in str(error)
    return False


def bad_files(root: str) -> dict:
    ok = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    data = b"\0" * 8
    huge = os.path.join(root, "huge.safetensors")
    with open(huge, "wb") as handle:
        handle.write(struct.pack("<Q", 1 << 40) + b"{}")
    return {
        "header_size_impossible": rejects(huge, "header size"),
        "header_not_json": rejects(
            _write(root, "nojson.safetensors", struct.pack("<Q", 8) + b"not json"), "corrupt safetensors header"
        ),
        "unknown_dtype": rejects(
            file_with(root, "dtype.safetensors", {"a": dict(ok["a"], dtype="F8_E4M3")}, data), "unsupported dtype"
        ),
        "size_disagrees_with_shape": rejects(
            file_with(root, "size.safetensors", {"a": dict(ok["a"], shape=[3])}, data), "needs 12"
        ),
        "offsets_beyond_file": rejects(
            file_with(root, "offsets.safetensors", {"a": dict(ok["a"], data_offsets=[0, 16])}, data), "offsets"
        ),
        "shorter_than_8_bytes": rejects(_write(root, "short.safetensors", b"abc"), "shorter than 8 bytes"),
    }


def _write(root: str, name: str, payload: bytes) -> str:
    path = os.path.join(root, name)
    with open(path, "wb") as handle:
        handle.write(payload)
    return path


def round_trip(root: str) -> dict:
    generator = torch.Generator().manual_seed(0)
    tensors = {
        "w": torch.randn(3, 4, generator=generator),
        "h": torch.randn(5, generator=generator).half(),
        "b": torch.randn(2, 2, generator=generator).bfloat16(),
        "i": torch.arange(6, dtype=torch.int32).reshape(2, 3),
    }
    results = {}
    path = os.path.join(root, "ours.safetensors")
    write_safetensors(path, tensors)
    back = read_safetensors(path)
    results["writer_reader"] = all(torch.equal(back[k], tensors[k]) for k in tensors)
    try:
        import safetensors.torch as package
    except ImportError:
        results["cross_checked_with_safetensors_package"] = False
        return results
    theirs = os.path.join(root, "theirs.safetensors")
    package.save_file(tensors, theirs, metadata={"format": "pt"})
    from_package = read_safetensors(theirs)
    into_package = package.load_file(path)
    results["reads_package_files"] = all(torch.equal(from_package[k], tensors[k]) for k in tensors)
    results["package_reads_our_files"] = all(torch.equal(into_package[k], tensors[k]) for k in tensors)
    results["cross_checked_with_safetensors_package"] = True
    return results


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vbt-safetensors-") as root:
        checks = {"golden": golden(root), "bad_files": bad_files(root), "round_trip": round_trip(root)}
    required = {
        **checks["golden"],
        **checks["bad_files"],
        **{k: v for k, v in checks["round_trip"].items() if k != "cross_checked_with_safetensors_package"},
    }
    ok = all(required.values())
    emit({"ok": ok, "checks": checks})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
