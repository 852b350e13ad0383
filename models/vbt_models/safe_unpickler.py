"""Reads torch pickle files without importing or running anything named in them.

`torch.load(..., weights_only=True)` is always tried first (see torch_files).
Old fairseq checkpoints keep their settings in an `argparse.Namespace`, which
the weights-only unpickler refuses. Passing a custom `pickle_module` to
torch.load is no way out: torch 1.13 ignores it when weights_only is false and
would unpickle with the standard, code-running pickle. So this module reads the
two torch file layouts itself:

  zip (torch >= 1.6): <name>/data.pkl plus one raw file per storage, <name>/data/<key>;
  legacy: pickled magic number, protocol, system info, the object, the list of
          storage keys, then per storage an int64 element count and the raw bytes.

`Unpickler.find_class` resolves only tensor-rebuilding functions (our own,
which build views on the raw bytes), storage dtypes, OrderedDict and a few
builtins. Every other global becomes an inert `OpaqueObject` subclass that
records the arguments and state the pickle gives it; nothing from the file is
executed. `to_plain` turns those records into dicts and scalars, from which
the exporter reads the few settings it needs.
"""

import argparse
import collections
import io
import pickle
import struct
import zipfile
from typing import Any, Callable, Dict, Tuple

import torch

from .errors import SourceError

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
    "UntypedStorage": torch.uint8,
}


class OpaqueObject:
    """An object of a class that was not imported; holds what the pickle said about it."""

    vbt_global = "?"
    vbt_args: Tuple[Any, ...] = ()
    vbt_kwargs: Dict[str, Any] = {}
    vbt_state: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.vbt_args = args
        self.vbt_kwargs = kwargs

    def __setstate__(self, state: Any) -> None:
        self.vbt_state = state

    def __repr__(self) -> str:
        return f"<opaque {self.vbt_global}>"


_opaque_classes: Dict[str, type] = {}


def _opaque(qualified: str) -> type:
    if qualified not in _opaque_classes:
        _opaque_classes[qualified] = type("Opaque", (OpaqueObject,), {"vbt_global": qualified})
    return _opaque_classes[qualified]


class StorageDtype:
    """Stands for a torch storage class in a pickle: only its dtype matters."""

    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


def _rebuild_tensor(storage: Any, offset: int, size: Any, stride: Any, *_rest: Any) -> torch.Tensor:
    if not isinstance(storage, torch.Tensor):
        raise SourceError("a tensor in the file refers to something that is not a storage")
    return torch.as_strided(storage, tuple(size), tuple(stride), offset)


def _rebuild_parameter(data: Any, *_rest: Any) -> Any:
    return data


def _rebuild_from_type(func: Callable, _new_type: Any, args: Any, _state: Any) -> Any:
    # `func` was itself resolved by find_class: one of our rebuild functions or an inert stub.
    return func(*args)


_ALLOWED: Dict[Tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch", "Size"): torch.Size,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "complex"): complex,
}


class Unpickler(pickle.Unpickler):
    """Resolves only allow-listed globals; everything else becomes an OpaqueObject class."""

    def __init__(self, file: Any, persistent: Callable[[Any], Any]) -> None:
        super().__init__(file, encoding="utf-8")
        self._persistent = persistent

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in _STORAGE_DTYPES:
            return StorageDtype(_STORAGE_DTYPES[name])
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return getattr(torch, name)
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        return _opaque(f"{module}.{name}")

    def persistent_load(self, saved_id: Any) -> Any:
        return self._persistent(saved_id)


def _bytes_to_tensor(raw: bytes, dtype: torch.dtype, numel: int, what: str) -> torch.Tensor:
    size = torch.empty(0, dtype=dtype).element_size()
    if len(raw) != numel * size:
        raise SourceError(f"{what}: {len(raw)} bytes where {numel} elements of {dtype} need {numel * size}")
    if numel == 0:
        return torch.empty(0, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=dtype)


def _storage_dtype(storage_type: Any) -> torch.dtype:
    if not isinstance(storage_type, StorageDtype):
        raise SourceError(f"unknown storage type {storage_type!r} in the file")
    return storage_type.dtype


def load_zip(path: str) -> Any:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n == "data.pkl" or n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise SourceError(f"{path} is a zip file but not a torch checkpoint (no single data.pkl)")
        prefix = pickles[0][: -len("data.pkl")]
        if prefix + "byteorder" in names and archive.read(prefix + "byteorder").strip() != b"little":
            raise SourceError(f"{path} stores big-endian tensors, which are not supported")
        storages: Dict[str, torch.Tensor] = {}

        def persistent(saved_id: Any) -> torch.Tensor:
            if not (isinstance(saved_id, tuple) and len(saved_id) >= 5 and saved_id[0] == "storage"):
                raise SourceError(f"{path}: unexpected persistent record {saved_id!r}")
            _, storage_type, key, _location, numel = saved_id[:5]
            if key not in storages:
                entry = f"{prefix}data/{key}"
                if entry not in names:
                    raise SourceError(f"{path} lacks the storage {entry}")
                storages[key] = _bytes_to_tensor(archive.read(entry), _storage_dtype(storage_type), int(numel), entry)
            return storages[key]

        return Unpickler(io.BytesIO(archive.read(pickles[0])), persistent).load()


def load_legacy(path: str) -> Any:
    with open(path, "rb") as handle:

        def header() -> Any:
            return Unpickler(handle, _no_persistent).load()

        try:
            magic = header()
        except Exception:
            raise SourceError(f"{path} is neither a zip nor a legacy torch file") from None
        if magic != _LEGACY_MAGIC:
            raise SourceError(f"{path} is not a torch checkpoint (bad magic number)")
        if header() != _LEGACY_PROTOCOL:
            raise SourceError(f"{path} uses an unsupported legacy torch protocol")
        header()  # system info: byte order and type sizes of the writer
        roots: Dict[str, torch.Tensor] = {}

        def persistent(saved_id: Any) -> torch.Tensor:
            if not (isinstance(saved_id, tuple) and len(saved_id) == 6 and saved_id[0] == "storage"):
                raise SourceError(f"{path}: unexpected persistent record {saved_id!r}")
            _, storage_type, root_key, _location, numel, view = saved_id
            if root_key not in roots:
                # Filled in place below, once the raw data after the pickle is reached.
                roots[root_key] = torch.zeros(int(numel), dtype=_storage_dtype(storage_type))
            root = roots[root_key]
            if view is not None:
                _view_key, offset, view_size = view
                return root[offset : offset + view_size]
            return root

        result = Unpickler(handle, persistent).load()
        keys = header()
        for key in keys:
            root = roots.get(key)
            if root is None:
                raise SourceError(f"{path}: data for an unknown storage {key!r}")
            count_bytes = handle.read(8)
            if len(count_bytes) != 8:
                raise SourceError(f"{path} is cut short")
            (count,) = struct.unpack("<q", count_bytes)
            if count != root.numel():
                raise SourceError(f"{path}: storage {key!r} has {count} elements, expected {root.numel()}")
            raw = handle.read(count * root.element_size())
            root.copy_(_bytes_to_tensor(raw, root.dtype, count, f"{path} storage {key}"))
        return result


def _no_persistent(saved_id: Any) -> Any:
    raise SourceError("unexpected tensor data in a legacy torch file header")


def load_torch_file(path: str) -> Any:
    """Any torch.save file (zip or legacy), with no code from the file run."""
    if zipfile.is_zipfile(path):
        return load_zip(path)
    return load_legacy(path)


def to_plain(value: Any, _depth: int = 0) -> Any:
    """Plain Python data (dict/list/scalars) from unpickled values that may hold OpaqueObjects.

    argparse.Namespace and other rebuilt objects become their attribute dicts;
    OmegaConf containers become their content; enum-like objects rebuilt from
    one argument become that argument. Real dicts and lists are converted
    recursively (so a Namespace nested in a dict is flattened too).
    """
    if _depth > 50:
        return None
    if isinstance(value, argparse.Namespace):
        return to_plain(vars(value), _depth + 1)
    if isinstance(value, OpaqueObject):
        state = value.vbt_state
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict):
            state = state[0]
        if isinstance(state, dict):
            if "_content" in state:
                return to_plain(state["_content"], _depth + 1)
            if "_val" in state:
                return to_plain(state["_val"], _depth + 1)
            return {
                str(k): to_plain(v, _depth + 1)
                for k, v in state.items()
                if not (isinstance(k, str) and k.startswith("_"))
            }
        if value.vbt_kwargs:
            return {str(k): to_plain(v, _depth + 1) for k, v in value.vbt_kwargs.items()}
        if len(value.vbt_args) == 1:
            return to_plain(value.vbt_args[0], _depth + 1)
        return None
    if isinstance(value, dict):
        return {str(k): to_plain(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, _depth + 1) for v in value]
    return value
