#!/usr/bin/env python3
"""Writes a synthetic fairseq wav2vec2 / HuBERT checkpoint: fairseq key names and settings, random weights.

Keys follow fairseq's modules (ConvFeatureExtractionModel, Wav2Vec2Model /
HubertModel, TransformerEncoder, the CTC Wav2VecEncoder / HubertEncoder),
written independently of vbt's importer. Settings are stored the hydra way
(`cfg` dict) or the old way (`args` as an argparse.Namespace).

  python3 make_fake_fairseq.py --family wav2vec2 --finetuned --settings args --out ckpt.pt
"""

import argparse
import json
import os
from typing import Any, Dict, List, Tuple

import torch

from support import randomise_state

CONV_LAYERS = "[(32, 10, 5)] + [(32, 3, 2)] * 4 + [(32, 2, 2)] * 2"
CONV_SHAPES = [(32, 10, 5)] + [(32, 3, 2)] * 4 + [(32, 2, 2)] * 2
VOCAB = 32


def model_settings(family: str, variant: str) -> Dict[str, Any]:
    """fairseq model settings of a tiny model (Wav2Vec2Config / HubertConfig fields)."""
    layer = variant == "layer"
    return {
        "_name": family,
        "extractor_mode": "layer_norm" if layer else "default",
        "encoder_layers": 2,
        "encoder_embed_dim": 64,
        "encoder_ffn_embed_dim": 128,
        "encoder_attention_heads": 4,
        "activation_fn": "gelu",
        "layer_type": "transformer",
        "dropout": 0.1,
        "attention_dropout": 0.1,
        "activation_dropout": 0.0,
        "encoder_layerdrop": 0.05,
        "dropout_input": 0.1,
        "dropout_features": 0.1,
        "final_dim": 16,
        "layer_norm_first": layer,
        "conv_feature_layers": CONV_LAYERS,
        "conv_bias": layer,
        "conv_pos": 128,
        "conv_pos_groups": 16,
        "mask_prob": 0.65,
        "feature_grad_mult": 0.1,
    }


def fairseq_shapes(settings: Dict[str, Any], family: str, finetuned: bool) -> Dict[str, Tuple[int, ...]]:
    """Name -> shape of every tensor of the fairseq model (pre-training heads unless fine-tuned)."""
    shapes: Dict[str, Tuple[int, ...]] = {}
    hidden, ffn = settings["encoder_embed_dim"], settings["encoder_ffn_embed_dim"]
    layer_mode = settings["extractor_mode"] == "layer_norm"
    in_ch = 1
    for i, (out_ch, k, _) in enumerate(CONV_SHAPES):
        shapes[f"feature_extractor.conv_layers.{i}.0.weight"] = (out_ch, in_ch, k)
        if settings["conv_bias"]:
            shapes[f"feature_extractor.conv_layers.{i}.0.bias"] = (out_ch,)
        if layer_mode:  # Sequential(conv, dropout, Sequential(TransposeLast, LayerNorm, TransposeLast), GELU)
            shapes[f"feature_extractor.conv_layers.{i}.2.1.weight"] = (out_ch,)
            shapes[f"feature_extractor.conv_layers.{i}.2.1.bias"] = (out_ch,)
        elif i == 0:  # Sequential(conv, dropout, GroupNorm, GELU)
            shapes["feature_extractor.conv_layers.0.2.weight"] = (out_ch,)
            shapes["feature_extractor.conv_layers.0.2.bias"] = (out_ch,)
        in_ch = out_ch
    shapes["post_extract_proj.weight"] = (hidden, in_ch)
    shapes["post_extract_proj.bias"] = (hidden,)
    shapes["mask_emb"] = (hidden,)
    k, groups = settings["conv_pos"], settings["conv_pos_groups"]
    shapes["encoder.pos_conv.0.bias"] = (hidden,)
    shapes["encoder.pos_conv.0.weight_g"] = (1, 1, k)
    shapes["encoder.pos_conv.0.weight_v"] = (hidden, hidden // groups, k)
    for i in range(settings["encoder_layers"]):
        base = f"encoder.layers.{i}"
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            shapes[f"{base}.self_attn.{proj}.weight"] = (hidden, hidden)
            shapes[f"{base}.self_attn.{proj}.bias"] = (hidden,)
        shapes[f"{base}.self_attn_layer_norm.weight"] = (hidden,)
        shapes[f"{base}.self_attn_layer_norm.bias"] = (hidden,)
        shapes[f"{base}.fc1.weight"] = (ffn, hidden)
        shapes[f"{base}.fc1.bias"] = (ffn,)
        shapes[f"{base}.fc2.weight"] = (hidden, ffn)
        shapes[f"{base}.fc2.bias"] = (hidden,)
        shapes[f"{base}.final_layer_norm.weight"] = (hidden,)
        shapes[f"{base}.final_layer_norm.bias"] = (hidden,)
    shapes["encoder.layer_norm.weight"] = (hidden,)
    shapes["encoder.layer_norm.bias"] = (hidden,)
    shapes["layer_norm.weight"] = (in_ch,)
    shapes["layer_norm.bias"] = (in_ch,)
    if not finetuned:
        final_dim = settings["final_dim"]
        shapes["final_proj.weight"] = (final_dim, hidden)
        shapes["final_proj.bias"] = (final_dim,)
        if family == "wav2vec2":
            shapes["quantizer.vars"] = (1, 2 * 8, final_dim // 2)
            shapes["quantizer.weight_proj.weight"] = (2 * 8, in_ch)
            shapes["quantizer.weight_proj.bias"] = (2 * 8,)
            shapes["project_q.weight"] = (final_dim, final_dim)
            shapes["project_q.bias"] = (final_dim,)
        else:
            shapes["label_embs_concat"] = (504, final_dim)
    return shapes


def make_fake_fairseq(
    path: str,
    family: str,
    finetuned: bool = False,
    settings_style: str = "cfg",
    variant: str = "group",
    seed: int = 0,
) -> Tuple[Dict[str, Any], Dict[str, torch.Tensor]]:
    """Writes the checkpoint; returns (model settings, state dict as written)."""
    settings = model_settings(family, variant)
    state = randomise_state(fairseq_shapes(settings, family, finetuned), seed)
    task = {
        "_name": "audio_pretraining" if family == "wav2vec2" else "hubert_pretraining",
        "normalize": variant == "layer",
        "sample_rate": 16000,
    }
    if finetuned:
        state = {f"w2v_encoder.w2v_model.{k}": v for k, v in state.items()}
        generator = torch.Generator().manual_seed(seed + 1)
        state["w2v_encoder.proj.weight"] = torch.randn(VOCAB, settings["encoder_embed_dim"], generator=generator)
        state["w2v_encoder.proj.bias"] = torch.randn(VOCAB, generator=generator)
        model_cfg = {
            "_name": "wav2vec_ctc" if family == "wav2vec2" else "hubert_ctc",
            "w2v_path": "pretrained.pt",
            "dropout": 0.0,
            "attention_dropout": 0.05,
            "activation_dropout": 0.1,
            "dropout_input": 0.0,
            "layerdrop": 0.1,
            "apply_mask": True,
            "w2v_args": {"model": settings, "task": task},
        }
        cfg = {"model": model_cfg, "task": dict(task, _name="audio_finetuning")}
    else:
        cfg = {"model": settings, "task": task}
    checkpoint: Dict[str, Any] = {"model": state, "optimizer_history": [], "extra_state": {"epoch": 3}}
    if settings_style == "cfg":
        checkpoint["cfg"] = cfg
        checkpoint["args"] = None
    else:
        # Old fairseq: one flat Namespace; fine-tuned models nest the pre-training one in w2v_args.
        if finetuned:
            flat = dict(cfg["model"], arch=cfg["model"]["_name"], normalize=task["normalize"])
            flat["w2v_args"] = argparse.Namespace(**dict(settings, arch=family, normalize=task["normalize"]))
        else:
            flat = dict(settings, arch=family, normalize=task["normalize"])
        flat.pop("_name", None)
        checkpoint["args"] = argparse.Namespace(**flat)
    torch.save(checkpoint, path)
    return settings, state


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", required=True, choices=["wav2vec2", "hubert"])
    parser.add_argument("--finetuned", action="store_true")
    parser.add_argument("--settings", default="cfg", choices=["cfg", "args"])
    parser.add_argument("--variant", default="group", choices=["group", "layer"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    make_fake_fairseq(args.out, args.family, args.finetuned, args.settings, args.variant, args.seed)
    print(json.dumps({"ok": True, "out": os.path.abspath(args.out)}))


if __name__ == "__main__":
    main()
