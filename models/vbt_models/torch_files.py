"""Reading pickle-based torch files (pytorch_model.bin, fairseq checkpoints) safely.

Weights are data, not code: every file is first read with
`torch.load(..., map_location="cpu", weights_only=True)`, which only rebuilds
tensors and plain containers. A TorchScript archive is refused up front,
because torch.load would hand it to torch.jit.load, which runs its code.
"""

import pickle
import zipfile
from typing import Any

import torch

from .errors import SourceError
from .safe_unpickler import load_torch_file


def _refuse_torchscript(path: str) -> None:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any(n == "constants.pkl" or n.endswith("/constants.pkl") for n in names):
            raise SourceError(f"{path} is a TorchScript archive, not a weights file; refusing to load code")


def load_weights_only(path: str) -> Any:
    """torch.load with weights_only=True; a clear SourceError when that is impossible."""
    _refuse_torchscript(path)
    try:
        # Weights are data, not code: weights_only=True rebuilds tensors and containers only.
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise SourceError(
            f"{path} holds objects other than tensors and plain containers: {_first_line(error)}"
        ) from None
    except (OSError, RuntimeError, EOFError) as error:
        raise SourceError(f"cannot read {path} as a torch file: {_first_line(error)}") from None


def load_checkpoint(path: str) -> Any:
    """Loads a checkpoint that may carry settings objects besides its tensors.

    First weights_only=True. Old fairseq checkpoints keep their settings in an
    argparse.Namespace, which weights_only refuses; then the file is read by
    `safe_unpickler`, which imports and runs nothing from the file (unknown
    classes become inert records that `safe_unpickler.to_plain` reads as dicts).
    """
    _refuse_torchscript(path)
    try:
        # Weights are data, not code: weights_only=True rebuilds tensors and containers only.
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        pass  # settings objects refused: read again below, still without running anything
    except (OSError, RuntimeError, EOFError) as error:
        raise SourceError(f"cannot read {path} as a torch checkpoint: {_first_line(error)}") from None
    try:
        return load_torch_file(path)
    except SourceError:
        raise
    except Exception as error:  # any other failure of the reader is a bad source, reported in one line
        raise SourceError(f"cannot read {path} as a torch checkpoint: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
