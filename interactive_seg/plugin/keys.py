"""The widget's keys wherever focus is in the window, and no wheel for an unfocused box.

napari reads keys on its canvas (its key bindings); a key pressed while focus is in a dock
widget reaches the canvas only when no widget on the way takes it first: a list takes
Shift+Right (it extends its selection), a spin box takes Alt+3 (it types the 3). The
:class:`KeyRouter` sees a key before the focused widget does and runs the widget's action
for it, wherever focus is in the window, except on napari's canvas (napari's own bindings
run there, bound to the same actions) and while text is typed into a text field (a class
rename, a filter box, an option's text), which keeps its keys until Enter or Escape ends the
typing (the field keeps focus; a key that types, or focus coming back, starts it again).

:func:`guard_wheel` keeps combo boxes and spin boxes from taking the mouse wheel while the
panel scrolls under the pointer: they take it only once clicked (focused), as napari's
own layer controls do.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Optional

from qtpy.QtCore import QEvent, QObject, Qt, QTimer
from qtpy.QtGui import QKeyEvent
from qtpy.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

__all__ = [
    "KEYS",
    "KEYS_HELP",
    "KeyRouter",
    "bind_on_canvas",
    "enter_to_canvas",
    "focus_canvas",
    "guard_wheel",
    "key_of",
    "parse",
    "widget_actions",
]

#: Keys of the widget, wherever focus is in the window (except while text is typed into a
#: text field: see :class:`KeyRouter`). napari's own layer shortcuts take A (select all
#: points/shapes) and Escape (finish a shape), so Accept and Clear use Shift+Enter and
#: Shift+Escape; they take F and B (fill, move to front/back; preserve labels), so the
#: foreground and background marks are Shift+F and Shift+B.
KEYS = {
    "accept": "Shift-Enter",
    "clear": "Shift-Escape",
    "undo": "Control-Z",
    "redo": "Control-Shift-Z",
    "toggle_point": "T",
    "boxes": "Alt-1",
    "points": "Alt-2",
    "scribbles": "Alt-3",
    "next_image": "Shift-Right",
    "previous_image": "Shift-Left",
    "next_class": "Shift-Down",  # (napari binds Alt and Ctrl with the arrows, not Shift)
    "previous_class": "Shift-Up",
    "foreground": "Shift-F",
    "background": "Shift-B",
    # a reviewer's verdict on the object under the cursor (napari binds no Alt+letter; the
    # window's menus use Alt+F/V/L/P/W/H)
    "review_accepted": "Alt-A",
    "review_rejected": "Alt-R",
}

#: The keys in a few lines, as the widget lists them under its panels.
KEYS_HELP = (
    "Keys: Alt+1 boxes, Alt+2 points, Alt+3 scribbles; T flips the next click; "
    "Shift+F / Shift+B foreground / background marks (brush and next click); "
    "Shift+Enter accept; Shift+Esc clear; Ctrl+Z / Ctrl+Shift+Z undo / redo (the object's "
    "prompts first, then objects); Shift+Right / Shift+Left next / previous image of a folder; "
    "Shift+Down / Shift+Up next / previous class; "
    "Alt+A / Alt+R mark the object under the cursor accepted / rejected."
)

_MODIFIERS = {
    "Shift": Qt.KeyboardModifier.ShiftModifier,
    "Control": Qt.KeyboardModifier.ControlModifier,
    "Alt": Qt.KeyboardModifier.AltModifier,
    "Meta": Qt.KeyboardModifier.MetaModifier,
}
_NAMES = {
    "Enter": Qt.Key.Key_Return,
    "Escape": Qt.Key.Key_Escape,
    "Right": Qt.Key.Key_Right,
    "Left": Qt.Key.Key_Left,
    "Up": Qt.Key.Key_Up,
    "Down": Qt.Key.Key_Down,
}
#: a text field's property: its Enter acts beyond the field (the image filter opens an image),
#: so the widget's Shift+Enter / Ctrl+Enter keys keep their action there instead of becoming its Enter
ENTER_IS_NOT_ITS_OWN = "interactive_seg_enter_is_not_its_own"
_SAME = {Qt.Key.Key_Enter: Qt.Key.Key_Return}  # the keypad's Enter is Enter
_ENDS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape}  # keys that end typing into a text field
# a modifier pressed alone types nothing
_BARE = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta}
_MASK = (
    Qt.KeyboardModifier.ShiftModifier
    | Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


def parse(combo: str) -> tuple:
    """A napari key combination (``"Control-Shift-Z"``) as ``(Qt key, Qt modifiers)``.

    >>> parse("Alt-3") == (Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    True
    """
    *mods, name = combo.split("-")
    key = _NAMES.get(name) or getattr(Qt.Key, f"Key_{name.upper() if len(name) == 1 else name}")
    modifiers = Qt.KeyboardModifier.NoModifier
    for mod in mods:
        modifiers |= _MODIFIERS[mod]
    return key, modifiers


def key_of(event) -> tuple:
    """``(Qt key, Qt modifiers)`` of a key event, keypad and keyboard alike."""
    key = Qt.Key(event.key())
    return _SAME.get(key, key), event.modifiers() & _MASK


def typing_into(widget: Optional[QWidget]) -> bool:
    """True when ``widget`` takes typed text: a line edit (not a spin box's), a text edit."""
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return not widget.isReadOnly()
    if isinstance(widget, QLineEdit):
        return not widget.isReadOnly() and not isinstance(widget.parent(), QAbstractSpinBox)
    return False


def widget_actions(widget) -> dict:
    """What each of :data:`KEYS` does on the dock ``widget``: one action per key, whatever
    route the key took (napari's canvas or :class:`KeyRouter`)."""
    return {
        "accept": widget.accept,
        "clear": widget.clear,
        "undo": widget.undo,
        "redo": widget.redo,
        "toggle_point": widget.point_toggle.toggle,
        "boxes": lambda: widget.canvas.select("boxes"),
        "points": lambda: widget.canvas.select("points"),
        "scribbles": lambda: widget.canvas.select("scribbles"),
        "next_image": lambda: widget.step_image(1),
        "previous_image": lambda: widget.step_image(-1),
        "next_class": lambda: widget.classes.step(1),
        "previous_class": lambda: widget.classes.step(-1),
        "foreground": lambda: widget.set_marks(background=False),
        "background": lambda: widget.set_marks(background=True),
        "review_accepted": lambda: widget.mark("accepted"),
        "review_rejected": lambda: widget.mark("rejected"),
    }


def bind_on_canvas(viewer, actions: dict) -> None:
    """The keys on napari's canvas, napari's key bindings to the same ``actions``
    (elsewhere in the window :class:`KeyRouter` runs them). T is bound on the prompt layers
    only, where napari's own T would win."""
    for name, action in actions.items():
        if name != "toggle_point":
            viewer.bind_key(KEYS[name], lambda v, action=action: action(), overwrite=True)


def focus_canvas(viewer) -> bool:
    """The keyboard focus to napari's canvas, where its key bindings run; False without one
    (a headless viewer, or a later napari whose Qt viewer, private, moved)."""
    try:
        with warnings.catch_warnings():  # napari warns of the private path; it is checked here
            warnings.simplefilter("ignore", FutureWarning)
            native = viewer.window._qt_viewer.canvas.native
    except AttributeError:
        return False
    native.setFocus()
    return True


class _EnterToCanvas(QObject):
    def __init__(self, field: QWidget, viewer, then: Optional[Callable]):
        super().__init__(field)
        self.viewer, self.then = viewer, then
        field.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress and key_of(event) == (
            Qt.Key.Key_Return,
            Qt.KeyboardModifier.NoModifier,
        ):
            QTimer.singleShot(0, self._entered)  # after the field took the Enter (a spin box reads its text)
        return False

    def _entered(self) -> None:
        focus_canvas(self.viewer)
        if self.then is not None:
            self.then()


def enter_to_canvas(field: QWidget, viewer, then: Optional[Callable] = None) -> None:
    """Enter in ``field`` (a text field or spin box) ends the entry: the keys go back to
    napari's canvas (the layers' keys, such as A over a proposal, work at once), and
    ``then()`` runs, if given."""
    _EnterToCanvas(field, viewer, then)


def _is_canvas(widget: QWidget) -> bool:
    """napari's canvas (a vispy widget): napari's key bindings run there."""
    return type(widget).__module__.startswith("vispy")


class KeyRouter(QObject):
    """Runs ``actions[name]()`` for the key ``keys[name]`` pressed wherever focus is inside
    ``widget``'s window (or ``widget`` itself when it floats), except on napari's canvas and
    while text is typed into a text field.

    Installed on the application (a key goes to the focused widget first, which may take
    it); :meth:`remove` takes it off.
    """

    def __init__(self, widget: QWidget, keys: dict, actions: dict):
        super().__init__(widget)
        self.widget = widget
        self._actions = {parse(keys[name]): action for name, action in actions.items()}
        app = QApplication.instance()
        app.installEventFilter(self)
        widget.destroyed.connect(lambda *_: app.removeEventFilter(self))
        self._ended: Optional[QWidget] = None  # the text field whose typing Enter or Escape ended

    def remove(self) -> None:
        QApplication.instance().removeEventFilter(self)

    def action(self, event) -> Optional[Callable]:
        """The action a key event asks for here, or None (not ours, or not here)."""
        action = self._actions.get(key_of(event))
        if action is None:
            return None
        focus = QApplication.focusWidget()
        if focus is None or (typing_into(focus) and focus is not self._ended) or _is_canvas(focus):
            return None
        if not (self.widget.isAncestorOf(focus) or focus is self.widget or focus.window() is self.widget.window()):
            return None
        return action

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride:
            # a key the window's menus also hold is offered as a shortcut first: keep it a key press
            if self.action(event) is not None:
                event.accept()
                return True
            return False
        if kind == QEvent.Type.KeyPress:
            action = self.action(event)
            if action is not None:
                action()
                return True
            if self._enter_with_modifiers(event):
                return True
            self._typing(event)
        elif kind == QEvent.Type.FocusIn and obj is self._ended:
            self._ended = None  # back in the field: typing again
        return False

    def _enter_with_modifiers(self, event) -> bool:
        """Shift+Enter (or Ctrl+Enter) while typing into a one-line field is that field's
        Enter: a line edit lets such a key go on to napari's window, whose Shift+Enter
        accepts the pending object (typing a phrase into Find kept an object)."""
        focus = QApplication.focusWidget()
        if Qt.Key(event.key()) not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or not event.modifiers() & _MASK:
            return False
        if not isinstance(focus, (QLineEdit, QAbstractSpinBox)) or not typing_into(focus) or focus is self._ended:
            return False
        if not (self.widget.isAncestorOf(focus) or focus.window() is self.widget.window()):
            return False
        action = self._actions.get(key_of(event))
        if action is not None and focus.property(ENTER_IS_NOT_ITS_OWN):
            action()  # a field whose Enter leaves the image (the image filter): Shift+Enter stays Accept
            return True
        plain = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
        QApplication.sendEvent(focus, plain)  # (through this filter again: a plain Enter ends the typing)
        return True

    def _typing(self, event) -> None:
        """Enter or Escape in a text field ends its typing; any other key there starts it again."""
        focus = QApplication.focusWidget()
        if focus is None or not typing_into(focus):
            return
        if Qt.Key(event.key()) in _ENDS and not event.modifiers() & _MASK:
            self._ended = focus
        elif Qt.Key(event.key()) not in _BARE and focus is self._ended:
            self._ended = None


class _WheelGuard(QObject):
    """Passes the wheel over a combo or spin box that is not focused on to its parents (the
    panel scrolls), as napari's layer controls do."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Wheel and not obj.hasFocus():
            event.ignore()  # not accepted: Qt offers it to the parents
            return True
        return False


_GUARD: Optional[_WheelGuard] = None


def guard_wheel(root: QWidget) -> None:
    """Every combo and spin box under ``root`` takes the wheel only once focused (a click,
    or Tab), never while the panel scrolls under the pointer. Safe to call again as parts
    of the panel are built."""
    global _GUARD
    if _GUARD is None:
        _GUARD = _WheelGuard()
    for box in root.findChildren((QComboBox, QAbstractSpinBox)):
        if box.property("wheel_guarded"):
            continue
        box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        box.installEventFilter(_GUARD)
        box.setProperty("wheel_guarded", True)
