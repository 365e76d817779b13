"""The iteration timeline: a slider over every iteration of the current fit, following the live fit
until the user grabs it."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from emdesk.gui.elided_label import ElidedLabel


SLIDER_MIN = 120  # px
LABEL_WIDTH = 230  # px: "iteration 1000 · restart 3/5  (2000/5000)"


class _StateLabel(ElidedLabel):
    """The iteration shown: LABEL_WIDTH px wide when there is room (the slider does not jump as the text
    grows), elided down to about twelve characters when there is not."""

    def __init__(self, text: str):
        super().__init__(text, min_chars=12)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt's name)
        return QtCore.QSize(LABEL_WIDTH, super().sizeHint().height())


class Timeline(QtWidgets.QWidget):
    """Emits ``indexChanged(int)`` (position in the fit's history) when the user scrubs."""

    indexChanged = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._count = 0
        self._follow = True
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Scrub through every iteration of the current fit (Left/Right, Home/End)")
        self.slider.setPageStep(10)
        # 230 px when there is room; in a narrow window (1024x720 with the Results dock) the slider keeps
        # SLIDER_MIN px and the text is elided, the whole of it in the tooltip (at a fixed 230 px the slider was
        # squeezed to nothing)
        self.slider.setMinimumWidth(SLIDER_MIN)
        self.label = _StateLabel("no fit yet")
        self.live_button = QtWidgets.QToolButton()
        self.live_button.setText("Latest")
        self.live_button.setToolTip("Jump to the latest iteration and follow the fit")
        self.live_button.setEnabled(False)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        lay.addWidget(QtWidgets.QLabel("Timeline"))
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        lay.addWidget(self.live_button)
        self.slider.valueChanged.connect(self._moved)
        self.live_button.clicked.connect(self.follow_latest)

    @property
    def following(self) -> bool:
        return self._follow

    def reset(self) -> None:
        self._count = 0
        self._follow = True
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(False)
        self.live_button.setEnabled(False)
        self.label.setText("no fit yet")

    def set_count(self, count: int) -> None:
        """The history grew to ``count`` entries; when following, move to the newest without emitting."""
        self._count = count
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(count - 1, 0))
        if self._follow:
            self.slider.setValue(max(count - 1, 0))
        self.slider.blockSignals(False)
        self.slider.setEnabled(count > 1)
        self.live_button.setEnabled(not self._follow)

    def set_index(self, index: int) -> None:
        """Move the slider programmatically (emits indexChanged)."""
        self.slider.setValue(index)

    def index(self) -> int:
        return self.slider.value()

    def count(self) -> int:
        """How many states the slider spans."""
        return self._count

    def set_text(self, text: str) -> None:
        self.label.setText(text)

    def follow_latest(self) -> None:
        self._follow = True
        self.live_button.setEnabled(False)
        self.slider.setValue(max(self._count - 1, 0))
        self.indexChanged.emit(self.slider.value())

    def _moved(self, value: int) -> None:
        self._follow = value >= self._count - 1
        self.live_button.setEnabled(not self._follow)
        self.indexChanged.emit(value)
