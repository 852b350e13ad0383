"""The architecture description shared by wav2vec2, HuBERT and data2vec-audio.

One dataclass covers the three families: they differ only in the choices
recorded here (conv feature encoder normalisation, positional convolution kind,
post-LN or pre-LN transformer). Sources (named configs, Hugging Face
config.json, fairseq cfg) all produce a `BackboneConfig`.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List

from .errors import UnknownConfigError

FAMILIES = ("wav2vec2", "hubert", "data2vec")
SAMPLE_RATE = 16000

# The architecture fields, as opposed to the regularisation knobs (dropout,
# layer-drop) which a source or the user may change without changing weights.
ARCHITECTURE_FIELDS = (
    "conv_dim",
    "conv_kernel",
    "conv_stride",
    "conv_bias",
    "feat_extract_norm",
    "hidden_size",
    "num_layers",
    "num_heads",
    "intermediate_size",
    "feat_proj_layer_norm",
    "pos_conv_kernel",
    "pos_conv_groups",
    "pos_conv_layers",
    "stable_layer_norm",
    "layer_norm_eps",
)

DROPOUT_FIELDS = (
    "hidden_dropout",
    "attention_dropout",
    "activation_dropout",
    "feat_proj_dropout",
    "layerdrop",
)


@dataclass
class BackboneConfig:
    """Architecture and regularisation of one speech backbone.

    Attributes mirror Hugging Face's config.json names where one exists.
    `pos_conv_layers` is 1 for wav2vec2/HuBERT (one weight-normed grouped
    convolution) and the number of stacked convolutions for data2vec-audio
    (Hugging Face calls it `num_conv_pos_embeddings` there, and the kernel
    `conv_pos_kernel_size`).
    """

    family: str
    name: str = "custom"
    conv_dim: List[int] = field(default_factory=lambda: [512] * 7)
    conv_kernel: List[int] = field(default_factory=lambda: [10, 3, 3, 3, 3, 2, 2])
    conv_stride: List[int] = field(default_factory=lambda: [5, 2, 2, 2, 2, 2, 2])
    conv_bias: bool = False
    # "group": group norm on the first conv layer only (wav2vec2/HuBERT base);
    # "layer": layer norm after every conv layer (large-lv60, HuBERT large, data2vec).
    feat_extract_norm: str = "group"
    hidden_size: int = 768
    num_layers: int = 12
    num_heads: int = 12
    intermediate_size: int = 3072
    layer_norm_eps: float = 1e-5
    feat_proj_layer_norm: bool = True
    pos_conv_kernel: int = 128
    pos_conv_groups: int = 16
    pos_conv_layers: int = 1
    # False: post-LN (base, data2vec); True: pre-LN "stable layer norm" (large-lv60, HuBERT large).
    stable_layer_norm: bool = False
    hidden_dropout: float = 0.1
    attention_dropout: float = 0.1
    activation_dropout: float = 0.1
    feat_proj_dropout: float = 0.0
    layerdrop: float = 0.1

    @property
    def positional_kind(self) -> str:
        """ "weight_norm" (one weight-normed conv) or "stacked" (data2vec's conv stack)."""
        return "stacked" if self.family == "data2vec" else "weight_norm"

    @property
    def total_stride(self) -> int:
        product = 1
        for stride in self.conv_stride:
            product *= stride
        return product

    @property
    def frame_rate(self) -> float:
        """Frames per second (50 for every published config); an int when exact."""
        rate = SAMPLE_RATE / self.total_stride
        return int(rate) if rate == int(rate) else rate

    @property
    def receptive_field(self) -> int:
        """Samples one output frame sees; also the shortest input giving one frame."""
        field_size = 1
        jump = 1
        for kernel, stride in zip(self.conv_kernel, self.conv_stride):
            field_size += (kernel - 1) * jump
            jump *= stride
        return field_size

    def with_overrides(self, **changes: Any) -> "BackboneConfig":
        """A copy with some fields replaced (None values are ignored)."""
        real = {k: v for k, v in changes.items() if v is not None}
        unknown = [k for k in real if k not in {f.name for f in dataclasses.fields(self)}]
        if unknown:
            raise UnknownConfigError(f"unknown configuration fields: {', '.join(sorted(unknown))}")
        copy = dataclasses.replace(self, **real)
        copy.validate()
        return copy

    def architecture(self) -> Dict[str, Any]:
        """The fields that decide parameter shapes and computation (not dropout)."""
        return {name: getattr(self, name) for name in ARCHITECTURE_FIELDS}

    def dropouts(self) -> Dict[str, float]:
        return {name: float(getattr(self, name)) for name in DROPOUT_FIELDS}

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> None:
        """Raises UnknownConfigError on any inconsistent or unsupported value."""
        problems: List[str] = []
        if self.family not in FAMILIES:
            raise UnknownConfigError(f"unknown backbone family {self.family!r}; expected one of {', '.join(FAMILIES)}")
        if not (len(self.conv_dim) == len(self.conv_kernel) == len(self.conv_stride)) or not self.conv_dim:
            problems.append(
                "conv_dim, conv_kernel and conv_stride must be non-empty and of equal length "
                f"(got {len(self.conv_dim)}, {len(self.conv_kernel)}, {len(self.conv_stride)})"
            )
        for name in ("conv_dim", "conv_kernel", "conv_stride"):
            if any((not isinstance(v, int)) or v <= 0 for v in getattr(self, name)):
                problems.append(f"{name} must hold positive integers")
        if self.feat_extract_norm not in ("group", "layer"):
            problems.append(f"feat_extract_norm must be 'group' or 'layer', got {self.feat_extract_norm!r}")
        for name in (
            "hidden_size",
            "num_layers",
            "num_heads",
            "intermediate_size",
            "pos_conv_kernel",
            "pos_conv_groups",
            "pos_conv_layers",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                problems.append(f"{name} must be a positive integer, got {value!r}")
        if not problems:
            if self.hidden_size % self.num_heads != 0:
                problems.append(f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}")
            if self.hidden_size % self.pos_conv_groups != 0:
                problems.append(
                    f"hidden_size {self.hidden_size} is not divisible by pos_conv_groups {self.pos_conv_groups}"
                )
        if self.family != "data2vec" and self.pos_conv_layers != 1:
            problems.append(f"{self.family} has one positional convolution, got pos_conv_layers={self.pos_conv_layers}")
        if self.family == "data2vec" and self.stable_layer_norm:
            problems.append("data2vec-audio has a post-LN transformer only (stable_layer_norm must be false)")
        if self.family != "hubert" and not self.feat_proj_layer_norm:
            problems.append(f"{self.family} always has the feature projection layer norm")
        for name in DROPOUT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
                problems.append(f"{name} must be a probability in [0, 1], got {value!r}")
        if not isinstance(self.layer_norm_eps, (int, float)) or not self.layer_norm_eps > 0:
            problems.append(f"layer_norm_eps must be positive, got {self.layer_norm_eps!r}")
        if problems:
            raise UnknownConfigError("invalid backbone configuration: " + "; ".join(problems))
