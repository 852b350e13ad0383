"""vbt backbone definitions, weight import and TorchScript export.

Eager use (e.g. to time the same definition in plain PyTorch):

    from vbt_models import build_backbone, named_config
    model = build_backbone(named_config("data2vec", "base"))
    frames, frame_lengths = model(waveforms, lengths)
"""

from .backbone import FEATURE_ENCODER_PREFIX, Backbone, build_backbone
from .config import FAMILIES, BackboneConfig
from .errors import ExportError, OutputExistsError, SourceError, UnknownConfigError, WeightMismatchError
from .exporting import export_torchscript, read_metadata
from .metadata import EXPORTER_VERSION
from .named_configs import CONFIG_NAMES, named_config
from .sources import LoadedBackbone, load_backbone

__all__ = [
    "Backbone",
    "BackboneConfig",
    "CONFIG_NAMES",
    "EXPORTER_VERSION",
    "ExportError",
    "FAMILIES",
    "FEATURE_ENCODER_PREFIX",
    "LoadedBackbone",
    "OutputExistsError",
    "SourceError",
    "UnknownConfigError",
    "WeightMismatchError",
    "build_backbone",
    "export_torchscript",
    "load_backbone",
    "named_config",
    "read_metadata",
]
