"""Same options, same result (issue 15): the Model panel's seed is a number the user can read, a Run with
the same options and seed reproduces the fit, and "New seed" (Fit menu, and the button under the seed)
draws another. When the user chooses "random", every Run draws a seed and the panel says which one it used,
so that fit can be had again."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

SEED_MAX = 2_147_483_647


def draw_seed() -> int:
    """A fresh seed from the operating system's entropy (numpy.random.SeedSequence), 0 ... 2**31-1."""
    return int(np.random.SeedSequence().entropy % (SEED_MAX + 1))


class SeedController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.last_seed: int | None = None  # the seed of the last fit started
        panel = window.params_panel
        self.new_seed_button = QtWidgets.QToolButton()
        self.new_seed_button.setText("New seed")
        self.new_seed_button.setToolTip("Draw another random seed: the next Run starts from other points")
        self.new_seed_button.clicked.connect(self.new_seed)
        self.note = QtWidgets.QLabel()
        self.note.setStyleSheet("color: #555;")
        self.note.setWordWrap(True)
        row = QtWidgets.QWidget()
        lay = QtWidgets.QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.new_seed_button)
        lay.addWidget(self.note, 1)
        self.row = row
        form = panel.layout()
        index, _ = form.getWidgetPosition(panel.seed)
        form.insertRow(index + 1, "", row)
        panel.seed.setToolTip("Random seed: a Run with the same options and seed gives the same fit; "
                              "'random' (below 0) draws a new seed at every Run")

    def ensure_seed(self) -> None:
        """First start (no remembered options): a drawn seed in the panel rather than "random"."""
        if not self.w.settings.fit_options() and self.w.params_panel.seed.value() < 0:
            self.w.params_panel.seed.setValue(draw_seed())

    def new_seed(self) -> int:
        """Fit > New Seed: put a freshly drawn seed in the Model panel (returns it)."""
        seed = draw_seed()
        self.w.params_panel.seed.setValue(seed)
        self.w.status_state.setText(f"New seed {seed}: press Run (F5) to fit from other starting points.")
        return seed

    def resolve(self, options: dict) -> dict:
        """The options of a Run with a concrete seed: "random" draws one now; the panel says which."""
        options = dict(options)
        if "random_state" in options:
            if options["random_state"] is None:
                options["random_state"] = draw_seed()
                self.note.setText(f"this fit used seed {options['random_state']}")
            else:
                self.note.setText("")
            self.last_seed = int(options["random_state"])
        return options
