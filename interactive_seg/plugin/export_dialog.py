"""The export dialog: background, crop and padding, feather, file type, and a COCO file."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
)

from ..errors import InputError

__all__ = ["ExportDialog"]


class ExportDialog(QDialog):
    """The export choices; :meth:`values` gives them as keywords of
    :meth:`~interactive_seg.model.annotations.Annotations.export` (with ``folder``)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export objects")
        form = QFormLayout(self)
        self.folder = QLineEdit(str(Path.cwd() / "cutouts"))
        browse = QPushButton("Choose...")
        browse.clicked.connect(lambda: self.folder.setText(QFileDialog.getExistingDirectory(self, "Output folder") or self.folder.text()))
        row = QHBoxLayout()
        row.addWidget(self.folder)
        row.addWidget(browse)
        form.addRow("Folder", row)
        self.style = QComboBox()
        self.style.addItems(["transparent", "black", "color", "blur"])
        form.addRow("Background", self.style)
        self.color = QLineEdit("0,0,0")
        form.addRow("Colour (R,G,B)", self.color)
        self.blur = QDoubleSpinBox(minimum=0.5, maximum=200.0, value=15.0)
        form.addRow("Blur sigma (px)", self.blur)
        self.crop = QCheckBox("Crop to the object")
        self.crop.setChecked(True)
        form.addRow(self.crop)
        self.padding = QSpinBox(minimum=0, maximum=10000, value=0)
        form.addRow("Padding (px)", self.padding)
        self.feather = QDoubleSpinBox(minimum=0.0, maximum=100.0, value=0.0)
        form.addRow("Feather (px)", self.feather)
        self.format = QComboBox()
        self.format.addItems([".png", ".tif", ".jpg"])
        form.addRow("File type", self.format)
        self.coco = QLineEdit("")
        self.coco.setPlaceholderText("optional: path of a COCO .json to add these objects to")
        form.addRow("COCO file", self.coco)
        self.polygons = QCheckBox("COCO polygons (RLE where polygons would lie)")
        form.addRow(self.polygons)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict:
        try:
            color = tuple(float(v) for v in self.color.text().split(","))
        except ValueError:
            raise InputError(f"The colour {self.color.text()!r} must be three numbers R,G,B, like 255,255,255.") from None
        return {
            "folder": self.folder.text(),
            "background": self.style.currentText(),
            "color": color,
            "blur_sigma": self.blur.value(),
            "crop": self.crop.isChecked(),
            "padding": self.padding.value(),
            "feather": self.feather.value(),
            "suffix": self.format.currentText(),
            "coco": self.coco.text().strip() or None,
            "polygons": self.polygons.isChecked(),
        }
