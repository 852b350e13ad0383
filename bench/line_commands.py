"""The command loop of the Python peers of the benchmarks (finetune_step.py,
gpu_train_step.py, step_overhead.py): the TypeScript side writes one command
per line on stdin and reads one JSON line back for each, so that it can
alternate its own timed blocks with the peer's under the same machine load.
"""
import json
import sys
from typing import Callable, Dict, List

Command = Callable[[List[str]], dict]


def serve(ready: dict, commands: Dict[str, Command]) -> None:
    """Print `ready` as the first line, then answer each line `NAME ARG...` with
    the JSON of commands[NAME]([ARG...]). An unknown command or a failing one
    answers {"error": ...}, which the TypeScript side reports before it stops."""
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        name, args = words[0], words[1:]
        try:
            out = commands[name](args) if name in commands else {"error": f"unknown command {name}"}
        except Exception as err:  # noqa: BLE001 - reported to the TypeScript side
            out = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(out), flush=True)
