#!/usr/bin/env python3
"""Export a wav2vec2 / HuBERT / data2vec-audio backbone to TorchScript for vbt.

  python3 models/export.py --family data2vec --hf DIR --out data2vec-base-960h.pt
  python3 models/export.py --family hubert --fairseq hubert_large_ll60k_finetune_ls960.pt --out hubert.pt
  python3 models/export.py --family wav2vec2 --config tiny --random --seed 0 --out tiny.pt

Prints one JSON line on stdout: {"ok": true, "out": ..., "seconds": ..., "metadata": {...}}.
On failure prints {"ok": false, "error": {"kind", "message"}} on stdout, a one-line
"vbt export: error: ..." on stderr, and exits with 2 (bad input) or 1 (unexpected failure).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from vbt_models import CONFIG_NAMES, FAMILIES, ExportError, export_torchscript, load_backbone  # noqa: E402
from vbt_models.exporting import check_output  # noqa: E402
from vbt_models.normalization import parse_choice  # noqa: E402


class _Parser(argparse.ArgumentParser):
    """Reports usage errors like every other failure: a JSON line, a one-line message, exit 2."""

    def error(self, message):
        sys.exit(fail("usage", message, 2))


def parse_args(argv):
    parser = _Parser(prog="export.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", required=True, choices=FAMILIES)
    parser.add_argument(
        "--config",
        choices=CONFIG_NAMES,
        help="named config; required with --random, checked against the checkpoint otherwise",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--random", action="store_true", help="random initialisation of --config")
    source.add_argument("--hf", metavar="DIR", help="Hugging Face model folder (config.json + weights)")
    source.add_argument("--fairseq", metavar="FILE", help="fairseq checkpoint (wav2vec2, hubert)")
    parser.add_argument("--seed", type=int, default=0, help="seed of --random (default 0)")
    parser.add_argument("--out", required=True, metavar="FILE", help="output TorchScript archive (.pt)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument(
        "--normalize",
        choices=("on", "off"),
        help="normalise each waveform to zero mean and unit variance before the backbone "
        "(default: as the source says; required where nothing says)",
    )
    group = parser.add_argument_group("regularisation overrides (default: the source's own values)")
    group.add_argument("--hidden-dropout", type=float)
    group.add_argument("--attention-dropout", type=float)
    group.add_argument("--activation-dropout", type=float)
    group.add_argument("--feat-proj-dropout", type=float)
    group.add_argument("--layerdrop", type=float)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        check_output(args.out, args.overwrite)
        if args.random:
            kind, path = "random", None
        elif args.hf:
            kind, path = "huggingface", args.hf
        else:
            kind, path = "fairseq", args.fairseq
        loaded = load_backbone(
            args.family,
            kind,
            config_name=args.config,
            path=path,
            seed=args.seed,
            overrides=dict(
                hidden_dropout=args.hidden_dropout,
                attention_dropout=args.attention_dropout,
                activation_dropout=args.activation_dropout,
                feat_proj_dropout=args.feat_proj_dropout,
                layerdrop=args.layerdrop,
            ),
            normalize=parse_choice(args.normalize),
        )
        metadata = export_torchscript(loaded, args.out, overwrite=args.overwrite)
    except ExportError as error:
        return fail(error.kind, str(error), 2)
    except Exception as error:  # unexpected: still one line, with the exception type
        return fail("internal_error", f"{type(error).__name__}: {error}", 1)
    summary = {
        "ok": True,
        "out": os.path.abspath(args.out),
        "seconds": round(time.perf_counter() - started, 3),
        "metadata": metadata,
    }
    on = "on" if metadata["input_normalization"] else "off"
    print(f"vbt export: input normalisation {on} ({metadata['input_normalization_source']})", file=sys.stderr, flush=True)
    print(json.dumps(summary), flush=True)
    return 0


def fail(kind: str, message: str, code: int) -> int:
    one_line = " ".join(message.split())
    print(json.dumps({"ok": False, "error": {"kind": kind, "message": one_line}}), flush=True)
    print(f"vbt export: error: {one_line}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
