"""The annotation model: what an annotator has made, and the one path by which it is saved.

- :mod:`.history`: undo and redo (bounded steps, the Change each reports)
- :mod:`.objects`: one image's objects as an instance label image (:class:`ObjectSet`)
- :mod:`.annotations`: every image's objects with one class list (:class:`Annotations`),
  what the widget shows and edits; its class list is :mod:`.classes`
- :mod:`.session`: a folder of images and their objects in one COCO file (:class:`Session`),
  saved through :mod:`.store` (the folder's lock, :mod:`.lock`, and its journal, :mod:`.journal`);
  its object ids in :mod:`.ids`, its images' records by name in :mod:`.names`, the tool's own
  settings for the folder in :mod:`.settings`
- :mod:`.writers`: writers of a COCO file that are not a session (``edit_document``,
  ``add_to_coco``, ``save_document``), each its one writer for a moment

No Qt and no napari: the widget, the command line and batch jobs drive the same objects.
"""

from .annotations import Annotations, SaveError
from .history import Change, History, HistoryBudget
from .objects import ObjectSet
from .session import Session, SessionObject

__all__ = ["Annotations", "SaveError", "Change", "History", "HistoryBudget", "ObjectSet", "Session", "SessionObject"]
