"""The export dialog: what to export (the folder or the image), background, crop and padding,
feather, file type, and a COCO file; it opens with the choices made last for the folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

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
    QMessageBox,
    QPushButton,
    QSpinBox,
)

from ..errors import InputError
from ..export.cutouts import check_format
from ..files import check_output_file
from .footer import MessageLabel

__all__ = ["ExportDialog", "SCOPES"]

#: What an export covers (the first only for a folder session, where it is the default).
SCOPES = ("the whole folder", "the current image")


class ExportDialog(QDialog):
    """The export choices; :meth:`values` gives them as keywords of
    :meth:`~interactive_seg.model.annotations.Annotations.export` (with ``folder``)."""

    def __init__(
        self,
        parent=None,
        settings: Optional[dict] = None,
        folder_scope: bool = False,
        own_coco: Optional[Path] = None,
        image: Optional[tuple] = None,
        session_folder: Optional[Path] = None,
    ):
        super().__init__(parent)
        self.own_coco = own_coco  # a folder session's COCO file: never an export's target
        self.image = image  # (name, number of objects) of the image shown, where known
        self.setWindowTitle("Export objects")
        form = QFormLayout(self)
        self.scope = QComboBox()
        self.scope.addItems(SCOPES if folder_scope else SCOPES[1:])
        self.scope.setToolTip(
            "the whole folder: every annotated image, and its COCO file as the session keeps it "
            "(the same category and annotation ids); the current image: its objects alone"
        )
        form.addRow("Export", self.scope)
        self.folder = QLineEdit(str(default_output(session_folder)))
        browse = QPushButton("Choose...")
        browse.clicked.connect(
            lambda: self.folder.setText(QFileDialog.getExistingDirectory(self, "Output folder") or self.folder.text())
        )
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
        self.style.currentTextChanged.connect(self._style_changed)  # each field where it counts
        self._style_changed()
        self.crop = QCheckBox("Crop to the object")
        self.crop.setChecked(True)
        form.addRow(self.crop)
        self.padding = QSpinBox(minimum=0, maximum=10000, value=0)
        form.addRow("Padding (px)", self.padding)
        self.crop.toggled.connect(self.padding.setEnabled)  # padding is round a crop
        self.feather = QDoubleSpinBox(minimum=0.0, maximum=100.0, value=0.0)
        form.addRow("Feather (px)", self.feather)
        self.format = QComboBox()
        self.format.addItems([".png", ".tif", ".jpg"])
        form.addRow("File type", self.format)
        self.coco = QLineEdit("")
        form.addRow("COCO file", self.coco)
        # the COCO file of each scope, kept apart: "add to" for the image, "write" for the
        # folder (a file chosen to add to was replaced by a folder export that reused it)
        self._cocos = {scope: "" for scope in SCOPES}
        self._scope_shown = self.scope.currentText()
        self.polygons = QCheckBox("COCO polygons (RLE where polygons would lie)")
        self._polygons = False  # the choice for the current image, kept while the whole folder is chosen
        self.polygons.toggled.connect(lambda on: self.polygons.isEnabled() and setattr(self, "_polygons", on))
        self.scope.currentTextChanged.connect(self._scope_changed)
        self._scope_changed()
        form.addRow(self.polygons)
        if settings:
            self.restore(settings)
        self.problem = MessageLabel()  # why OK did nothing: said here, the dialog stays open
        self.problem.setStyleSheet("color: #ff9f43;")
        self.problem.hide()
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _style_changed(self) -> None:
        """The colour for a colour background only, the blur sigma for a blurred one (both
        were shown, and editable to no effect, for a transparent background)."""
        style = self.style.currentText()
        self.color.setEnabled(style == "color")
        self.blur.setEnabled(style == "blur")

    def _scope_changed(self) -> None:
        """The COCO field says what it is for: the whole folder writes the session's COCO
        file there, the current image adds its objects to the file named; each scope keeps
        its own file."""
        self._cocos[self._scope_shown] = self.coco.text()
        self._scope_shown = self.scope.currentText()
        self.coco.setText(self._cocos[self._scope_shown])
        if self.scope.currentText() == SCOPES[0]:
            hint = "optional: where the folder's COCO file is written (default: annotations.coco.json in the output folder)"
        else:
            hint = "optional: path of a COCO .json to add this image's objects to"
        self.coco.setPlaceholderText(hint)
        self.coco.setToolTip(hint)
        # wide enough to read the hint whole (it was cut after "optional: where the folder's COC")
        wide = self.coco.fontMetrics().horizontalAdvance(hint) + 24
        self.coco.setMinimumWidth(max(self.coco.minimumWidth(), wide))
        self._set_polygons(self._polygons)

    def _set_polygons(self, on: bool) -> None:
        """The polygons box: ``on`` for the current image; off and disabled for the whole
        folder, whose COCO file is the session's, copied as it is saved (RLE masks)."""
        self._polygons = bool(on)
        folder = self.scope.currentText() == SCOPES[0]
        self.polygons.setEnabled(not folder)
        self.polygons.setChecked(self._polygons and not folder)
        self.polygons.setToolTip(
            "Off for the whole folder: its COCO file is a copy of the folder's own file as it is saved, "
            "with RLE masks. Export the current image to write polygons."
            if folder
            else "Write each object's outline as COCO polygons; RLE is kept where polygons would change the mask."
        )

    def accept(self) -> None:
        """OK: choices that cannot be exported (no output folder, a colour that is no colour,
        transparency in a JPEG, the current image of no objects) keep the dialog open and say
        why, so nothing is started, or remembered, in vain; a folder export onto a COCO file
        that exists asks first."""
        self.problem.hide()
        try:
            values = self.values()
            if values["scope"] == "image" and self.image is not None and not self.image[1]:
                other = ", or export the whole folder" if self.scope.findText(SCOPES[0]) >= 0 else ""
                raise InputError(f"{self.image[0]} has no objects to export: accept one first{other}.")
            if not values["folder"]:
                raise InputError("Choose the output folder for the cutouts.")
            if Path(values["folder"]).exists() and not Path(values["folder"]).is_dir():
                raise InputError(f"The output folder {values['folder']!r} is a file; choose a folder.")
            target = values["coco"] or (
                str(Path(values["folder"]) / "annotations.coco.json") if values["scope"] == "folder" else None
            )
            if target is not None:
                if self.own_coco is not None and Path(target).resolve() == Path(self.own_coco).resolve():
                    raise InputError(
                        f"{target} is this folder's own COCO file, where its objects are saved already; "
                        "choose another COCO file or output folder."
                    )
                out = Path(values["folder"])
                if out.exists() or Path(target).parent.resolve() != out.resolve():  # (else made by the export)
                    check_output_file(target, "The COCO file")
            if values["background"] == "color":
                _colour(self.color.text())
            check_format(values["background"], values["suffix"])
        except InputError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            self.adjustSize()  # the whole sentence, on as many lines as it needs
            return
        if values["scope"] == "folder":
            target = Path(target)
            if target.exists() and not self.confirm(
                f"{target} exists. Replace it with the folder's COCO file? (Everything in it now is lost.)"
            ):
                return
        super().accept()

    def confirm(self, question: str) -> bool:
        """Yes to ``question`` (No is the default)."""
        answer = QMessageBox.question(
            self, "Replace the COCO file?", question, defaultButton=QMessageBox.StandardButton.No
        )
        return answer == QMessageBox.StandardButton.Yes

    def values(self) -> dict:
        """The export's keywords (a colour that cannot be read is black: :meth:`accept`
        refuses it where it is used)."""
        try:
            color = _colour(self.color.text())
        except InputError:
            color = (0.0, 0.0, 0.0)
        return {
            "scope": "folder" if self.scope.currentText() == SCOPES[0] else "image",
            "folder": self.folder.text().strip(),
            "background": self.style.currentText(),
            "color": color,
            "blur_sigma": self.blur.value(),
            "crop": self.crop.isChecked(),
            "padding": self.padding.value(),
            "feather": self.feather.value(),
            "suffix": self.format.currentText(),
            "coco": self.coco.text().strip() or None,
            "polygons": self.polygons.isChecked() and self.polygons.isEnabled(),
        }

    def kept(self) -> dict:
        """What the folder remembers: :meth:`values`, and the COCO file of each scope."""
        self._cocos[self._scope_shown] = self.coco.text()
        scopes = {SCOPES[0]: "folder", SCOPES[1]: "image"}
        kept = dict(self.values(), polygons=self._polygons)  # (the choice for an image, kept for the folder too)
        return dict(kept, cocos={scopes[k]: v.strip() for k, v in self._cocos.items()})

    def restore(self, settings: dict) -> None:
        """Fill the dialog with ``settings`` (what :meth:`values` gave last time); an
        unknown or damaged value leaves that field as it is."""

        def text(widget, key):
            if isinstance(settings.get(key), str):
                widget.setText(settings[key])

        def choice(widget, value):
            index = widget.findText(str(value)) if value is not None else -1
            if index >= 0:
                widget.setCurrentIndex(index)

        def number(widget, key):
            value = settings.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                widget.setValue(type(widget.value())(value))

        choice(self.scope, {"folder": SCOPES[0], "image": SCOPES[1]}.get(settings.get("scope")))
        text(self.folder, "folder")
        choice(self.style, settings.get("background"))
        if isinstance(settings.get("color"), list):
            self.color.setText(",".join(f"{v:g}" for v in settings["color"] if isinstance(v, (int, float))))
        number(self.blur, "blur_sigma")
        number(self.padding, "padding")
        number(self.feather, "feather")
        choice(self.format, settings.get("suffix"))
        if isinstance(settings.get("crop"), bool):
            self.crop.setChecked(settings["crop"])
        if isinstance(settings.get("polygons"), bool):
            self._set_polygons(settings["polygons"])
        cocos = settings.get("cocos")
        if isinstance(cocos, dict):
            for scope, key in ((SCOPES[0], "folder"), (SCOPES[1], "image")):
                if isinstance(cocos.get(key), str):
                    self._cocos[scope] = cocos[key]
        elif isinstance(settings.get("coco"), str):  # (as kept before the scopes had their own)
            self._cocos[self.scope.currentText()] = settings["coco"]
        self.coco.setText(self._cocos[self.scope.currentText()])


def default_output(session_folder: Optional[Path] = None) -> Path:
    """Where cutouts go unless the annotator chooses: for a folder session ``<folder>_export``
    beside the session's folder (its own: two folders' exports never mix, and never inside
    the folder, whose images would then include the cutouts); else ``cutouts`` in the
    working folder."""
    if session_folder is None:
        return Path.cwd() / "cutouts"
    folder = Path(session_folder).resolve()
    return folder.parent / f"{folder.name}_export"


def _colour(text: str) -> tuple:
    """Three numbers R,G,B from 0 to 255, or an InputError that says so."""
    try:
        colour = tuple(float(v) for v in text.split(","))
    except ValueError:
        colour = ()
    if len(colour) != 3 or not all(0 <= v <= 255 for v in colour):  # (NaN is no number from 0 to 255)
        shown = text if len(text) <= 40 else text[:40] + "..."  # (a long one would widen the dialog)
        raise InputError(f"The colour {shown!r} must be three numbers R,G,B from 0 to 255, like 255,255,255.")
    return colour
