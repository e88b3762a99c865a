"""The drawing toolbar above the picture: tools, colour, thickness, how long a drawing stays, undo/redo, delete."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import QColorDialog, QLabel, QSpinBox, QToolBar, QToolButton, QWidget

from .overlay import TOOLS, DrawingOverlay

TOOL_LABELS = {
    "select": "Select",
    "line": "Line",
    "arrow": "Arrow",
    "angle": "Angle",
    "circle": "Circle",
    "text": "Text",
    "freehand": "Pen",
}
TOOL_TIPS = {
    "select": "Select a drawing: drag to move it, Delete removes it",
    "line": "Line: click the two ends",
    "arrow": "Arrow: click where it starts, then where it points",
    "angle": "Angle: click one arm's end, the vertex, then the other arm's end (degrees shown live)",
    "circle": "Circle: click the centre, then a point on the rim",
    "text": "Text: click where it goes",
    "freehand": "Pen: drag to draw",
}


class DrawingToolbar(QToolBar):
    """Drives one `DrawingOverlay`; actions have window shortcuts only for undo, redo and delete."""

    def __init__(self, overlay: DrawingOverlay, parent: QWidget | None = None) -> None:
        super().__init__("Drawing", parent)
        self.overlay = overlay
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.tool_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        group.setExclusive(True)
        for tool in TOOLS:
            action = QAction(TOOL_LABELS[tool], self, checkable=True)
            action.setToolTip(TOOL_TIPS[tool])
            action.setData(tool)
            action.setChecked(tool == overlay.tool)
            group.addAction(action)
            self.addAction(action)
            self.tool_actions[tool] = action
        group.triggered.connect(lambda a: overlay.set_tool(a.data()))
        self.addSeparator()
        self.color_button = QToolButton(self)
        self.color_button.setToolTip("Colour of new drawings")
        self.color_button.clicked.connect(self.choose_color)
        self.addWidget(self.color_button)
        self.thickness = QSpinBox(self)
        self.thickness.setRange(1, 20)
        self.thickness.setValue(int(overlay.thickness))
        self.thickness.setToolTip("Line thickness (pixels of the video)")
        self.thickness.valueChanged.connect(lambda v: setattr(overlay, "thickness", float(v)))
        self.addWidget(self.thickness)
        self.addWidget(QLabel(" hold ", self))
        self.hold = QSpinBox(self)
        self.hold.setRange(0, 100000)
        self.hold.setSuffix(" frames")
        self.hold.setToolTip("A new drawing stays on this many frames after the one it is drawn on")
        self.hold.valueChanged.connect(lambda v: setattr(overlay, "hold_frames", int(v)))
        self.addWidget(self.hold)
        self.addSeparator()
        self.undo_action = overlay.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = overlay.undo_stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.delete_action = QAction("Delete", self)
        self.delete_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.delete_action.setToolTip("Delete the selected drawing")
        self.delete_action.triggered.connect(overlay.delete_selected)
        for action in (self.undo_action, self.redo_action, self.delete_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
        self.angle_label = QLabel("", self)
        self.addWidget(self.angle_label)
        overlay.angle_measured.connect(lambda deg: self.angle_label.setText(f"  angle {deg:.1f}°"))
        self._show_color()

    @Slot()
    def choose_color(self) -> None:
        color = QColorDialog.getColor(QColor(self.overlay.color), self, "Drawing colour")
        if color.isValid():
            self.set_color(color.name())

    def set_color(self, name: str) -> None:
        self.overlay.color = name
        self._show_color()

    def _show_color(self) -> None:
        pix = QPixmap(16, 16)
        pix.fill(QColor(self.overlay.color))
        self.color_button.setIcon(QIcon(pix))
