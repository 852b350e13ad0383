#!/usr/bin/env python3
"""Time masking of vbt's scripted backbone against transformers' SpecAugment, on the same random weights.

For data2vec-audio, wav2vec2 and HuBERT (tiny, every dropout off) built as in
parity_transformers.py, with time masking on (mask_time_prob, mask_time_length,
mask_time_min_masks in the transformers config):

1. settings: `time_masking_from_hf` reads the three values from the config;
2. application: ours in train mode draws a mask; transformers, handed the same
   mask as `mask_time_indices` (eval mode), must give the same frames
   (<= 1e-4): the learned masked_spec_embed in the same places, after the
   same feature projection; and some frames must actually be masked;
3. distribution: over many draws of a batch, each row's mean number of masked
   valid frames from ours and from transformers' `_compute_mask_indices` (its
   own NumPy draws) agree within 5 standard errors, and rows shorter than a
   span are never masked by either.

transformers is optional: without it the script prints
{"ok": false, "skipped": true, "reason": "skipped: transformers not installed"}
and exits 3. Otherwise it prints one JSON line and exits 0 (all checks pass) or 1.
"""

import argparse
import math
import sys

import numpy as np
import torch

from parity_transformers import LENGTHS, hf_classes, hf_kwargs
from support import emit, max_diff_valid, random_batch, randomise_state, record_failure
from vbt_models.backbone import Backbone
from vbt_models.hf_source import config_from_hf, map_hf_state_dict, time_masking_from_hf
from vbt_models.state_loading import load_strict

TOLERANCE = 1e-4
SKIPPED = 3
# A high probability and short spans, so that the tiny batch's rows (49, 34, 16 and 1 frames) get
# several spans each, overlapping at times, and the 1-frame row none.
PROB, SPAN, MIN_MASKS = 0.3, 4, 2
NO_DROPOUT = dict(hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0, layerdrop=0.0)


def masked_valid_frames(mask: torch.Tensor, frame_lengths: list) -> list:
    """Masked frames inside each row's valid length (transformers may mark a padding frame as a dummy)."""
    return [int(mask[row, :n].sum().item()) for row, n in enumerate(frame_lengths)]


def compare_distributions(ours: np.ndarray, theirs: np.ndarray) -> dict:
    """Per row: mean masked frames of each side and whether they agree within 5 standard errors."""
    rows = []
    for row in range(ours.shape[1]):
        a, b = ours[:, row].astype(np.float64), theirs[:, row].astype(np.float64)
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        diff = abs(a.mean() - b.mean())
        rows.append(
            {
                "mean_ours": round(float(a.mean()), 4),
                "mean_transformers": round(float(b.mean()), 4),
                "standard_error": round(se, 4),
                "agree": bool(diff <= 5 * se) if se > 0 else bool(diff == 0),
            }
        )
    return {"rows": rows, "agree": all(r["agree"] for r in rows)}


def run_case(transformers, family: str, seed: int, draws: int) -> dict:
    result = {"family": family, "config": "tiny"}
    try:
        config_class, model_class = hf_classes(transformers, family)
        kwargs = hf_kwargs(family, "tiny")
        kwargs.update(NO_DROPOUT, mask_time_prob=PROB, mask_time_length=SPAN, mask_time_min_masks=MIN_MASKS)
        hf_config = config_class(**kwargs)
        reference = model_class(hf_config).eval()
        state = randomise_state({k: v.shape for k, v in reference.state_dict().items()}, seed)
        reference.load_state_dict(state, strict=True)

        settings = time_masking_from_hf(hf_config.to_dict())["time_masking"]
        result["settings"] = [settings["mask_time_prob"], settings["mask_time_length"], settings["mask_time_min_masks"]]
        settings_ok = result["settings"] == [PROB, SPAN, MIN_MASKS]

        ours = Backbone(config_from_hf(hf_config.to_dict(), family))
        load_strict(ours, map_hf_state_dict(reference.state_dict(), family), f"transformers {model_class.__name__}")
        scripted = torch.jit.script(ours)
        scripted.set_time_masking(PROB, SPAN, MIN_MASKS)
        scripted.train()

        # 2. The same mask applied by both: ours draws it in forward; the same seed replays the draw.
        waveforms, lengths = random_batch(LENGTHS["tiny"], seed + 1)
        attention_mask = (torch.arange(waveforms.shape[1])[None, :] < lengths[:, None]).long()
        with torch.no_grad():
            torch.manual_seed(seed)
            _, frame_lengths, mask = scripted.masked_features(waveforms, lengths)
            torch.manual_seed(seed)
            frames, _ = scripted(waveforms, lengths)
            ref_frames = reference(input_values=waveforms, attention_mask=attention_mask, mask_time_indices=mask).last_hidden_state
        valid = frame_lengths.tolist()
        masked = masked_valid_frames(mask, valid)
        diff = max_diff_valid(frames, ref_frames, frame_lengths)
        result.update(max_abs_diff=diff, frame_lengths=valid, masked_frames=masked)
        applied_ok = diff <= TOLERANCE and sum(masked) > 0

        # 3. The distributions of masks, each side with its own generator.
        num_frames = int(frames.shape[1])
        frame_mask = (torch.arange(num_frames)[None, :] < frame_lengths[:, None]).long()
        np.random.seed(seed)
        torch.manual_seed(seed)
        counts_ours = np.array([masked_valid_frames(scripted.time_mask(frame_lengths, num_frames), valid) for _ in range(draws)])
        compute = transformers.models.wav2vec2.modeling_wav2vec2._compute_mask_indices
        counts_theirs = np.array(
            [
                masked_valid_frames(torch.from_numpy(compute((len(valid), num_frames), PROB, SPAN, attention_mask=frame_mask, min_masks=MIN_MASKS)), valid)
                for _ in range(draws)
            ]
        )
        distribution = compare_distributions(counts_ours, counts_theirs)
        short_rows = [row for row, n in enumerate(valid) if n < SPAN]
        never_masked = all(counts_ours[:, row].max() == 0 and counts_theirs[:, row].max() == 0 for row in short_rows)
        result.update(draws=draws, distribution=distribution["rows"], short_rows_never_masked=never_masked)
        result["passed"] = settings_ok and applied_ok and distribution["agree"] and never_masked
    except Exception as error:  # noqa: BLE001 - report and go on
        record_failure(result, error)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default="data2vec,wav2vec2,hubert")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--draws", type=int, default=2000, help="masks drawn per side for the distribution check")
    args = parser.parse_args()
    try:
        import transformers
        import transformers.models.wav2vec2.modeling_wav2vec2  # noqa: F401 - _compute_mask_indices lives here
    except ImportError:
        emit({"ok": False, "skipped": True, "reason": "skipped: transformers not installed"})
        return SKIPPED
    cases = [run_case(transformers, family, args.seed + 100 * i, args.draws) for i, family in enumerate(args.families.split(","))]
    ok = all(case["passed"] for case in cases)
    emit({"ok": ok, "tolerance": TOLERANCE, "torch": torch.__version__, "transformers": transformers.__version__, "cases": cases})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
