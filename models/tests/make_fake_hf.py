#!/usr/bin/env python3
"""Writes a synthetic Hugging Face model folder: real key names and config.json, random weights.

The key list and config fields below are written from Hugging Face's module
structure (Wav2Vec2Model / HubertModel / Data2VecAudioModel and their ForCTC /
ForPreTraining wrappers), independently of vbt's importer, so that the importer
is checked against them.

  python3 make_fake_hf.py --family hubert --head ctc --format bin --out DIR
"""

import argparse
import json
import os
from typing import Any, Dict, List, Tuple

import torch

from support import randomise_state
from safetensors_writer import write_safetensors

PREFIX = {"wav2vec2": "wav2vec2.", "hubert": "hubert.", "data2vec": "data2vec_audio."}
MODEL_TYPE = {"wav2vec2": "wav2vec2", "hubert": "hubert", "data2vec": "data2vec-audio"}
CLASS_STEM = {"wav2vec2": "Wav2Vec2", "hubert": "Hubert", "data2vec": "Data2VecAudio"}
VOCAB = 32


def tiny_hf_config(family: str, variant: str = "named") -> Dict[str, Any]:
    """A config.json dict for a tiny model of `family`.

    variant "named" mirrors vbt's tiny config of the family; "group" forces a
    group-norm conv encoder with post-LN, "layer" a layer-norm conv with bias and pre-LN.
    """
    if variant == "named":
        variant = "layer" if family == "hubert" else ("d2v" if family == "data2vec" else "group")
    cfg: Dict[str, Any] = {
        "model_type": MODEL_TYPE[family],
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 128,
        "hidden_act": "gelu",
        "hidden_dropout": 0.1,
        "activation_dropout": 0.05,
        "attention_dropout": 0.1,
        "feat_proj_dropout": 0.0,
        "final_dropout": 0.1,
        "layerdrop": 0.05,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-5,
        "feat_extract_activation": "gelu",
        "conv_dim": [32] * 7,
        "conv_stride": [5, 2, 2, 2, 2, 2, 2],
        "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
        "num_feat_extract_layers": 7,
        "num_conv_pos_embedding_groups": 16,
        "mask_time_prob": 0.05,
        "mask_time_length": 10,
        "mask_feature_prob": 0.0,
        "vocab_size": VOCAB,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "transformers_version": "4.40.0",
    }
    if family == "data2vec":
        cfg.update(conv_bias=False, conv_pos_kernel_size=19, num_conv_pos_embeddings=5)
    else:
        cfg["num_conv_pos_embeddings"] = 128
        if variant == "layer":
            cfg.update(feat_extract_norm="layer", conv_bias=True, do_stable_layer_norm=True)
        else:
            cfg.update(feat_extract_norm="group", conv_bias=False, do_stable_layer_norm=False)
    if family == "hubert":
        cfg.update(feat_proj_layer_norm=True, conv_pos_batch_norm=False)
    return cfg


def hf_shapes(cfg: Dict[str, Any], family: str, weight_norm: str) -> Dict[str, Tuple[int, ...]]:
    """Name -> shape of every tensor of the bare Hugging Face model for `cfg`."""
    shapes: Dict[str, Tuple[int, ...]] = {}
    hidden, inter = cfg["hidden_size"], cfg["intermediate_size"]
    dims, kernels = cfg["conv_dim"], cfg["conv_kernel"]
    norm = "layer" if family == "data2vec" else cfg["feat_extract_norm"]
    in_ch = 1
    for i, (out_ch, k) in enumerate(zip(dims, kernels)):
        shapes[f"feature_extractor.conv_layers.{i}.conv.weight"] = (out_ch, in_ch, k)
        if cfg["conv_bias"]:
            shapes[f"feature_extractor.conv_layers.{i}.conv.bias"] = (out_ch,)
        if norm == "layer" or i == 0:
            shapes[f"feature_extractor.conv_layers.{i}.layer_norm.weight"] = (out_ch,)
            shapes[f"feature_extractor.conv_layers.{i}.layer_norm.bias"] = (out_ch,)
        in_ch = out_ch
    if family != "hubert" or cfg.get("feat_proj_layer_norm", True):
        shapes["feature_projection.layer_norm.weight"] = (dims[-1],)
        shapes["feature_projection.layer_norm.bias"] = (dims[-1],)
    shapes["feature_projection.projection.weight"] = (hidden, dims[-1])
    shapes["feature_projection.projection.bias"] = (hidden,)
    if cfg.get("mask_time_prob", 0) > 0:
        shapes["masked_spec_embed"] = (hidden,)
    groups = cfg["num_conv_pos_embedding_groups"]
    if family == "data2vec":
        for j in range(cfg["num_conv_pos_embeddings"]):
            shapes[f"encoder.pos_conv_embed.layers.{j}.conv.weight"] = (
                hidden,
                hidden // groups,
                cfg["conv_pos_kernel_size"],
            )
            shapes[f"encoder.pos_conv_embed.layers.{j}.conv.bias"] = (hidden,)
    else:
        k = cfg["num_conv_pos_embeddings"]
        if weight_norm == "legacy":
            shapes["encoder.pos_conv_embed.conv.weight_g"] = (1, 1, k)
            shapes["encoder.pos_conv_embed.conv.weight_v"] = (hidden, hidden // groups, k)
        elif weight_norm == "plain":  # saved after removing the weight norm
            shapes["encoder.pos_conv_embed.conv.weight"] = (hidden, hidden // groups, k)
        else:
            shapes["encoder.pos_conv_embed.conv.parametrizations.weight.original0"] = (1, 1, k)
            shapes["encoder.pos_conv_embed.conv.parametrizations.weight.original1"] = (hidden, hidden // groups, k)
        shapes["encoder.pos_conv_embed.conv.bias"] = (hidden,)
    shapes["encoder.layer_norm.weight"] = (hidden,)
    shapes["encoder.layer_norm.bias"] = (hidden,)
    for i in range(cfg["num_hidden_layers"]):
        base = f"encoder.layers.{i}"
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            shapes[f"{base}.attention.{proj}.weight"] = (hidden, hidden)
            shapes[f"{base}.attention.{proj}.bias"] = (hidden,)
        for ln in ("layer_norm", "final_layer_norm"):
            shapes[f"{base}.{ln}.weight"] = (hidden,)
            shapes[f"{base}.{ln}.bias"] = (hidden,)
        shapes[f"{base}.feed_forward.intermediate_dense.weight"] = (inter, hidden)
        shapes[f"{base}.feed_forward.intermediate_dense.bias"] = (inter,)
        shapes[f"{base}.feed_forward.output_dense.weight"] = (hidden, inter)
        shapes[f"{base}.feed_forward.output_dense.bias"] = (hidden,)
    return shapes


def make_fake_hf(
    out: str,
    family: str,
    head: str = "none",
    fmt: str = "safetensors",
    weight_norm: str = "legacy",
    variant: str = "named",
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> Tuple[Dict[str, Any], Dict[str, torch.Tensor]]:
    """Writes the folder; returns (config dict, state dict as written)."""
    cfg = tiny_hf_config(family, variant)
    shapes = hf_shapes(cfg, family, weight_norm)
    bare = randomise_state(shapes, seed)
    if head == "none":
        state = bare
        cfg["architectures"] = [f"{CLASS_STEM[family]}Model"]
    else:
        state = {PREFIX[family] + k: v for k, v in bare.items()}
        generator = torch.Generator().manual_seed(seed + 1)
        if head == "ctc":
            cfg["architectures"] = [f"{CLASS_STEM[family]}ForCTC"]
            state["lm_head.weight"] = torch.randn(VOCAB, cfg["hidden_size"], generator=generator)
            state["lm_head.bias"] = torch.randn(VOCAB, generator=generator)
        elif head == "pretraining" and family == "wav2vec2":
            cfg["architectures"] = ["Wav2Vec2ForPreTraining"]
            groups, entries, dim = 2, 8, 16
            state["quantizer.codevectors"] = torch.randn(1, groups * entries, dim // groups, generator=generator)
            state["quantizer.weight_proj.weight"] = torch.randn(
                groups * entries, cfg["conv_dim"][-1], generator=generator
            )
            state["quantizer.weight_proj.bias"] = torch.randn(groups * entries, generator=generator)
            state["project_hid.weight"] = torch.randn(dim, cfg["hidden_size"], generator=generator)
            state["project_hid.bias"] = torch.randn(dim, generator=generator)
            state["project_q.weight"] = torch.randn(dim, dim, generator=generator)
            state["project_q.bias"] = torch.randn(dim, generator=generator)
        elif head == "classification":
            cfg["architectures"] = [f"{CLASS_STEM[family]}ForSequenceClassification"]
            cfg["use_weighted_layer_sum"] = True
            cfg["classifier_proj_size"] = 16
            state["projector.weight"] = torch.randn(16, cfg["hidden_size"], generator=generator)
            state["projector.bias"] = torch.randn(16, generator=generator)
            state["classifier.weight"] = torch.randn(4, 16, generator=generator)
            state["classifier.bias"] = torch.randn(4, generator=generator)
            state["layer_weights"] = torch.ones(cfg["num_hidden_layers"] + 1)
        else:
            raise ValueError(f"unsupported head {head!r} for {family}")
    state = {k: v.to(dtype) for k, v in state.items()}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as handle:
        json.dump(cfg, handle, indent=2)
    with open(os.path.join(out, "preprocessor_config.json"), "w") as handle:
        json.dump(
            {
                "do_normalize": True,
                "feature_size": 1,
                "sampling_rate": 16000,
                "return_attention_mask": True,
                "padding_value": 0.0,
            },
            handle,
            indent=2,
        )
    if fmt == "safetensors":
        write_safetensors(os.path.join(out, "model.safetensors"), state, {"format": "pt"})
    elif fmt == "safetensors-sharded":
        names = sorted(state)
        shards = {"model-00001-of-00002.safetensors": names[::2], "model-00002-of-00002.safetensors": names[1::2]}
        weight_map = {}
        for shard, keys in shards.items():
            write_safetensors(os.path.join(out, shard), {k: state[k] for k in keys}, {"format": "pt"})
            weight_map.update({k: shard for k in keys})
        with open(os.path.join(out, "model.safetensors.index.json"), "w") as handle:
            json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, handle, indent=2)
    elif fmt == "bin":
        torch.save(state, os.path.join(out, "pytorch_model.bin"))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return cfg, state


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", required=True, choices=sorted(PREFIX))
    parser.add_argument("--head", default="none", choices=["none", "ctc", "pretraining", "classification"])
    parser.add_argument("--format", default="safetensors", choices=["safetensors", "safetensors-sharded", "bin"])
    parser.add_argument("--weight-norm", default="legacy", choices=["legacy", "parametrizations", "plain"])
    parser.add_argument("--variant", default="named", choices=["named", "group", "layer"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    make_fake_hf(args.out, args.family, args.head, args.format, args.weight_norm, args.variant, args.seed)
    print(json.dumps({"ok": True, "out": os.path.abspath(args.out)}))


if __name__ == "__main__":
    main()
