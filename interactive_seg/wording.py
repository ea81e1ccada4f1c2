"""How messages count things, one rule for every door (CLI, widget, library errors)."""

from __future__ import annotations

from typing import Optional

__all__ = ["counted"]


def counted(number: int, noun: str, plural: Optional[str] = None) -> str:
    """``number`` and ``noun``, plural but for one, thousands marked: "1 pixel", "2,372,225 pixels".

    >>> counted(1, "file"), counted(0, "file"), counted(2372225, "pixel"), counted(2, "class", "classes")
    ('1 file', '0 files', '2,372,225 pixels', '2 classes')
    """
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
