"""The Image box: the viewer's image layers, which one is segmented, and each one's model key.

A layer's key in the :class:`~interactive_seg.model.annotations.Annotations` model is its
``unique_id``, or for a folder session's layer the image's file name; never the layer's
name, which the user may change (the box follows renames).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Optional

import numpy as np
from napari.layers import Image
from qtpy.QtWidgets import QComboBox

from ..errors import InputError

__all__ = ["ImageChoice", "image_of"]

#: The characters of a layer's name the Image box has room for at least (a longer name is
#: cut there; the menu and the image list show it whole).
MINIMUM_CHARACTERS = 14


def image_of(layer: Image) -> np.ndarray:
    """The 2-D image of a layer (the full resolution of a multiscale one)."""
    data = layer.data[0] if layer.multiscale else layer.data
    data = np.asarray(data)
    if data.ndim > (3 if layer.rgb else 2):
        raise InputError(
            f"The layer {layer.name!r} is a stack of shape {data.shape}; segmentation works on one 2-D "
            "image: open a single slice."
        )
    return data


class ImageChoice(QComboBox):
    """A menu of the viewer's image layers; ``on_chosen(layer)`` runs when the user picks one."""

    def __init__(self, viewer, on_chosen: Callable[[Image], None], parent=None):
        super().__init__(parent)
        # as wide as the row gives it, not as the longest layer name (a 170-character file
        # name pushed Next, Open folder... and Delete off the panel's right edge)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(MINIMUM_CHARACTERS)
        self.viewer = viewer
        self._on_chosen = on_chosen
        self.current: Optional[Image] = None
        self._session_names: dict = {}  # unique_id -> file name of a session's image layer
        self._watched: set = set()
        self.currentIndexChanged.connect(self._picked)

    # -- keys ----------------------------------------------------------------------------
    def key_of(self, layer: Image):
        return self._session_names.get(layer.unique_id, layer.unique_id)

    def is_session_layer(self, layer: Optional[Image]) -> bool:
        return layer is not None and layer.unique_id in self._session_names

    def file_name(self, layer: Image) -> str:
        """The image's file name for exports: the session file, the layer's source, else its name + .png."""
        if layer.unique_id in self._session_names:
            return self._session_names[layer.unique_id]
        source = getattr(layer, "source", None)
        if source is not None and source.path:
            return Path(source.path).name
        return f"{layer.name}.png"

    # -- layers --------------------------------------------------------------------------
    def layers(self) -> list:
        return [layer for layer in self.viewer.layers if isinstance(layer, Image)]

    def add_session_image(self, image: np.ndarray, name: str) -> Image:
        """Show a session's image as a layer in place of the previous one."""
        # the session's layers go first (also one left below another image the user opened),
        # so the new layer gets the file's name, not 'a.png [1]'
        for old in [layer for layer in self.layers() if self.is_session_layer(layer)]:
            self.viewer.layers.remove(old)
            self._session_names.pop(old.unique_id, None)
        layer = self.viewer.add_image(image, name=name, rgb=image.ndim == 3 and image.shape[2] in (3, 4))
        self._session_names[layer.unique_id] = name
        return layer

    def forget(self, layer: Image) -> None:
        self._session_names.pop(layer.unique_id, None)
        if layer is self.current:
            self.current = None

    def refresh(self, event=None) -> None:
        """List the image layers by their current names; follow renames from now on."""
        layers = self.layers()
        for layer in layers:
            if layer.unique_id not in self._watched:
                layer.events.name.connect(self.refresh)
                self._watched.add(layer.unique_id)
        self.blockSignals(True)
        self.clear()
        for layer in layers:
            self.addItem(layer.name, layer.unique_id)
        if self.current in layers:
            self.setCurrentIndex(layers.index(self.current))
        self.blockSignals(False)

    def _picked(self, index: int) -> None:
        layers = self.layers()
        if 0 <= index < len(layers) and layers[index] is not self.current:
            self._on_chosen(layers[index])
