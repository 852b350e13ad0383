"""Whether an export normalises each waveform (zero mean, unit variance) first, and why.

A checkpoint was trained on waveforms that were, or were not, normalised per
utterance; feeding it the other kind degrades it without any error. So every
export records the choice and where it came from, in this order:

1. `--normalize on|off` (the user's choice; it wins, and the metadata says
   what the source said if it differs);
2. what the source says: a Hugging Face folder's `preprocessor_config.json`
   (`do_normalize`, whose feature-extractor default is true), a fairseq
   checkpoint's task settings (`normalize`, whose fairseq default is false);
3. what every published checkpoint of the family does, where they agree:
   data2vec-audio (base, large, and their fine-tuned versions) all
   normalise. wav2vec2 and HuBERT checkpoints differ (wav2vec2 base and
   HuBERT base do not normalise, wav2vec2 large-lv60 and HuBERT large do),
   so for them a folder without `preprocessor_config.json` is an error that
   names the choice;
4. a random initialisation: off, unless asked.
"""

from typing import Optional, Tuple

from .errors import SourceError

# Families whose published checkpoints all agree on input normalisation.
FAMILY_SETTLED = {"data2vec": True}


def parse_choice(value: Optional[str]) -> Optional[bool]:
    """`--normalize on|off` as a bool (None when not given)."""
    if value is None:
        return None
    if value not in ("on", "off"):
        raise SourceError(f"--normalize must be 'on' or 'off', got {value!r}")
    return value == "on"


def _word(value: bool) -> str:
    return "on" if value else "off"


def resolve_normalization(
    family: str, kind: str, found: Optional[bool], found_from: Optional[str], choice: Optional[bool], path: Optional[str]
) -> Tuple[bool, str]:
    """(normalise or not, where that came from, in words)."""
    if choice is not None:
        said = f"; the source says {_word(found)} ({found_from})" if found is not None and found != choice else ""
        return choice, f"--normalize {_word(choice)}{said}"
    if found is not None:
        return found, str(found_from)
    if kind == "random":
        return False, "random initialisation: off unless --normalize on"
    if family in FAMILY_SETTLED:
        value = FAMILY_SETTLED[family]
        return value, f"every published {family} checkpoint is {'' if value else 'not '}normalised (the source does not say)"
    where = f"{path} has no preprocessor_config.json" if kind == "huggingface" else f"{path} does not record it"
    raise SourceError(
        f"{where}, so whether the {family} checkpoint expects each waveform normalised to zero mean and unit "
        f"variance is unknown (published {family} checkpoints differ: base models do not, large-lv60 / large "
        "ones do). Pass --normalize on or --normalize off (as its model card or the training setup says), "
        "or add the checkpoint's preprocessor_config.json to the folder"
    )
