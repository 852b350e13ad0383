#!/usr/bin/env python3
"""Parity of vbt's scripted backbone with Hugging Face transformers on the same random weights.

For data2vec-audio (the family torchaudio lacks), wav2vec2 and HuBERT, tiny and
base by default (--configs adds large): build the transformers model from a
config (Data2VecAudioConfig / Wav2Vec2Config / HubertConfig), give every tensor
random values, then build ours through vbt's own Hugging Face path: the
config's dict through `config_from_hf`, the state dict through
`map_hf_state_dict` and the strict loader. Script ours, run one zero-padded
batch with an attention mask in eval mode, compare valid frames and frame lengths.

transformers is optional: without it the script prints
{"ok": false, "skipped": true, "reason": "skipped: transformers not installed"}
and exits 3. Otherwise it prints one JSON line and exits 0 (all within
tolerance) or 1.
"""

import argparse
import sys
import time

import torch

from support import emit, max_diff_valid, random_batch, randomise_state, record_failure
from vbt_models.backbone import Backbone
from vbt_models.hf_source import config_from_hf, map_hf_state_dict
from vbt_models.named_configs import named_config
from vbt_models.state_loading import load_strict

TOLERANCE = 1e-4
SKIPPED = 3
LENGTHS = {"tiny": [16000, 11040, 5200, 400], "base": [6400, 4000, 2400], "large": [4800, 3200]}


def hf_kwargs(family: str, size: str, stable_override=None, projection_layer_norm: bool = True) -> dict:
    """Hugging Face config arguments for a named architecture (written from HF's field names)."""
    ours = named_config(family, size)
    kwargs = dict(
        hidden_size=ours.hidden_size,
        num_hidden_layers=ours.num_layers,
        num_attention_heads=ours.num_heads,
        intermediate_size=ours.intermediate_size,
        conv_dim=list(ours.conv_dim),
        conv_stride=list(ours.conv_stride),
        conv_kernel=list(ours.conv_kernel),
        conv_bias=ours.conv_bias,
        num_conv_pos_embedding_groups=ours.pos_conv_groups,
        mask_time_prob=0.05,  # keeps masked_spec_embed in the state dict (vbt imports it for time masking)
    )
    if not projection_layer_norm:
        kwargs["feat_proj_layer_norm"] = False  # HuBERT only
    if family == "data2vec":
        kwargs.update(conv_pos_kernel_size=ours.pos_conv_kernel, num_conv_pos_embeddings=ours.pos_conv_layers)
    else:
        stable = ours.stable_layer_norm if stable_override is None else stable_override
        kwargs.update(
            num_conv_pos_embeddings=ours.pos_conv_kernel,
            feat_extract_norm="layer" if stable else "group",
            conv_bias=stable,
            do_stable_layer_norm=stable,
        )
    return kwargs


def hf_classes(transformers, family: str):
    """The transformers config and bare model classes of a family."""
    names = {
        "wav2vec2": ("Wav2Vec2Config", "Wav2Vec2Model"),
        "hubert": ("HubertConfig", "HubertModel"),
        "data2vec": ("Data2VecAudioConfig", "Data2VecAudioModel"),
    }[family]
    return tuple(getattr(transformers, name) for name in names)


def run_case(transformers, family: str, size: str, variant: str, seed: int) -> dict:
    stable = {"named": None, "post-ln": False, "pre-ln": True, "no-projection-ln": None}[variant]
    result = {"family": family, "config": size, "variant": variant}
    try:
        config_class, model_class = hf_classes(transformers, family)
        hf_config = config_class(**hf_kwargs(family, size, stable, variant != "no-projection-ln"))
        reference = model_class(hf_config).eval()
        result["attn_implementation"] = getattr(hf_config, "_attn_implementation", None)
        state = randomise_state({k: v.shape for k, v in reference.state_dict().items()}, seed)
        reference.load_state_dict(state, strict=True)

        config = config_from_hf(hf_config.to_dict(), family)
        ours = Backbone(config)
        weights = map_hf_state_dict(reference.state_dict(), family)
        load_strict(ours, weights, f"transformers {model_class.__name__}")
        scripted = torch.jit.script(ours.eval())

        waveforms, lengths = random_batch(LENGTHS[size], seed + 1)
        attention_mask = (torch.arange(waveforms.shape[1])[None, :] < lengths[:, None]).long()
        started = time.perf_counter()
        with torch.no_grad():
            frames, frame_lengths = scripted(waveforms, lengths)
            ref_frames = reference(input_values=waveforms, attention_mask=attention_mask).last_hidden_state
            ref_lengths = reference._get_feat_extract_output_lengths(lengths).to(torch.long)
        diff = max_diff_valid(frames, ref_frames, frame_lengths)
        same_lengths = frame_lengths.tolist() == ref_lengths.tolist()
        result.update(
            max_abs_diff=diff,
            frame_lengths=frame_lengths.tolist(),
            frame_lengths_equal=same_lengths,
            dropped_keys=sorted(weights.dropped),
            seconds=round(time.perf_counter() - started, 3),
            passed=diff <= TOLERANCE and same_lengths and frames.shape[:2] == ref_frames.shape[:2],
        )
    except Exception as error:  # noqa: BLE001 - report and go on
        record_failure(result, error)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="tiny,base", help="comma-separated sizes (tiny,base,large)")
    parser.add_argument("--families", default="data2vec,wav2vec2,hubert")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    try:
        import transformers
    except ImportError:
        emit({"ok": False, "skipped": True, "reason": "skipped: transformers not installed"})
        return SKIPPED
    cases = []
    for size in args.configs.split(","):
        for index, family in enumerate(args.families.split(",")):
            variants = ["named"]
            if size == "tiny" and family == "wav2vec2":
                variants.append("pre-ln")
            if size == "tiny" and family == "hubert":
                variants += ["post-ln", "no-projection-ln"]
            for variant in variants:
                cases.append(run_case(transformers, family, size, variant, args.seed + 100 * index))
    ok = all(case["passed"] for case in cases)
    emit(
        {
            "ok": ok,
            "tolerance": TOLERANCE,
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "cases": cases,
        }
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
