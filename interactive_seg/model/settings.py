"""The tool's own settings for a folder: ``.<coco name>.settings.json`` beside its COCO file.

The widget keeps its last choices there (the export dialog's), out of the user's COCO
file: one JSON object of sections, each written whole; a file that cannot be read counts
as no settings.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..files import write_bytes_atomic

__all__ = ["read_settings", "save_settings", "settings_path"]


def settings_path(coco_path: Path) -> Path:
    """``.<coco name>.settings.json`` beside the COCO file."""
    return coco_path.with_name(f".{coco_path.name}.settings.json")


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_settings(path: Path, section: str) -> dict:
    """The settings stored under ``section`` ({} when none, or when the file is unreadable)."""
    value = _read(path).get(section)
    return dict(value) if isinstance(value, dict) else {}


def save_settings(path: Path, section: str, values: dict) -> None:
    """Store ``values`` (JSON) under ``section``, written whole (other sections stay)."""
    data = _read(path)
    data[section] = values
    try:
        write_bytes_atomic(path, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))
    except OSError as exc:
        raise InputError(f"Could not save the settings to {str(path)!r}: {exc}") from exc
