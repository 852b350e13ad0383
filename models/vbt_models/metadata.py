"""The `vbt.json` record stored inside every exported archive."""

from typing import Any, Dict

import torch

from .backbone import FEATURE_ENCODER_PREFIX, Backbone
from .config import SAMPLE_RATE, BackboneConfig

EXPORTER_VERSION = "1.1.0"
METADATA_FILE = "vbt.json"
FORMAT = "vbt-backbone"


def build_metadata(
    model: Backbone, config: BackboneConfig, source: str, source_details: Dict[str, Any]
) -> Dict[str, Any]:
    """Everything the Node side needs to use the archive without reading its code."""
    parameters = dict(model.named_parameters())
    encoder_count = sum(p.numel() for n, p in parameters.items() if n.startswith(FEATURE_ENCODER_PREFIX))
    return {
        "format": FORMAT,
        "exporter_version": EXPORTER_VERSION,
        "family": config.family,
        "config": config.name,
        "hidden_size": config.hidden_size,
        "num_layers": config.num_layers,
        "num_heads": config.num_heads,
        "intermediate_size": config.intermediate_size,
        "frame_rate": config.frame_rate,
        "sample_rate": SAMPLE_RATE,
        "receptive_field": config.receptive_field,
        "conv_kernel": list(config.conv_kernel),
        "conv_stride": list(config.conv_stride),
        "feat_extract_norm": config.feat_extract_norm,
        "stable_layer_norm": config.stable_layer_norm,
        "dropout": config.dropouts(),
        "parameter_count": sum(p.numel() for p in parameters.values()),
        "feature_encoder_prefix": FEATURE_ENCODER_PREFIX,
        "feature_encoder_parameter_count": encoder_count,
        # Whether the checkpoint's preprocessing normalised each waveform to zero mean and
        # unit variance (Hugging Face preprocessor_config.json do_normalize, fairseq task.normalize);
        # null when the source does not say.
        "input_normalization": source_details.get("do_normalize"),
        # Where that choice came from, in words (--normalize, preprocessor_config.json, ...).
        "input_normalization_source": source_details.get("do_normalize_from"),
        # SpecAugment-style time masking in train mode: the source's settings (off for a random
        # initialisation); the archive's set_time_masking() changes them.
        "time_masking": source_details.get("time_masking"),
        "source": source,
        "source_details": {
            k: v for k, v in source_details.items() if k not in ("do_normalize", "do_normalize_from", "time_masking")
        },
        "architecture": config.to_dict(),
        "torch_version": torch.__version__,
        "inputs": {"waveforms": "float32 [batch, samples]", "lengths": "int64 [batch]"},
        "outputs": {"frames": "float32 [batch, frames, hidden_size]", "frame_lengths": "int64 [batch]"},
    }
