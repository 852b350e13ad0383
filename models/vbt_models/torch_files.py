"""Reading pickle-based torch files (pytorch_model.bin, fairseq checkpoints) safely.

Weights are data, not code. Every pickle is read by the project's own
restricted unpickler (`safe_unpickler`), which imports and runs nothing named
in the file: tensors are rebuilt from their raw bytes, a few containers are
allowed, and any other class becomes an inert record. torch.load is never
used on these files, not even with weights_only=True, whose unpickler has had
published code-execution advisories in torch 1.13. A TorchScript archive is
refused up front, because it is code.
"""

import zipfile
from typing import Any

from .errors import SourceError
from .safe_unpickler import OpaqueObject, load_torch_file


def _refuse_torchscript(path: str) -> None:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any(n == "constants.pkl" or n.endswith("/constants.pkl") for n in names):
            raise SourceError(f"{path} is a TorchScript archive, not a weights file; refusing to load code")


def _read(path: str, what: str) -> Any:
    _refuse_torchscript(path)
    try:
        return load_torch_file(path)
    except SourceError:
        raise
    except Exception as error:  # any other failure of the reader is a bad source, reported in one line
        raise SourceError(f"cannot read {path} as {what}: {_first_line(error)}") from None


def _first_opaque(value: Any, depth: int = 0) -> Any:
    """The first object of a class that is not a tensor or a plain container, if any."""
    if depth > 50:
        return None
    if isinstance(value, OpaqueObject):
        return value
    if isinstance(value, dict):
        items = list(value.keys()) + list(value.values())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        return None
    for item in items:
        found = _first_opaque(item, depth + 1)
        if found is not None:
            return found
    return None


def load_weights_only(path: str) -> Any:
    """Tensors and plain containers (a pytorch_model.bin); a clear SourceError for anything else."""
    result = _read(path, "a torch file")
    opaque = _first_opaque(result)
    if opaque is not None:
        raise SourceError(
            f"{path} holds objects other than tensors and plain containers (a {opaque.vbt_global}); "
            "a weights file should hold a state dict only"
        )
    return result


def load_checkpoint(path: str) -> Any:
    """A checkpoint that may carry settings objects besides its tensors (fairseq).

    Settings objects (argparse.Namespace, OmegaConf containers...) come back
    as inert records that `safe_unpickler.to_plain` reads as dicts.
    """
    return _read(path, "a torch checkpoint")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
