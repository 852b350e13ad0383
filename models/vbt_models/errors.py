"""Errors raised by the exporter, each naming what went wrong and where.

Every failure that a user can cause (a wrong folder, a checkpoint that does not
fit the architecture, an unknown family) is one of these classes, so the CLI can
print a one-line message and exit non-zero instead of a traceback.
"""

from typing import Iterable, List


class ExportError(Exception):
    """Base class of every user-facing exporter error."""

    kind = "export_error"


class UnknownConfigError(ExportError):
    """An unknown family or configuration name, or an invalid configuration."""

    kind = "unknown_config"


class SourceError(ExportError):
    """A weight source that cannot be read: missing file, bad JSON, bad format."""

    kind = "source_error"


class WeightMismatchError(ExportError):
    """Weights that do not fit the architecture: unknown, missing or misshapen keys."""

    kind = "weight_mismatch"


class OutputExistsError(ExportError):
    """The output file exists and overwriting was not asked for."""

    kind = "output_exists"


MAX_LISTED = 10


def list_some(items: Iterable[str], limit: int = MAX_LISTED) -> str:
    """Formats at most `limit` items and a count of the rest, for error messages."""
    values: List[str] = sorted(items)
    shown = ", ".join(values[:limit])
    rest = len(values) - limit
    if rest > 0:
        return f"{shown} (and {rest} more)"
    return shown
