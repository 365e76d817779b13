"""Settings persist through QSettings (here a temporary INI file, never the user's)."""

from __future__ import annotations

from PySide6 import QtCore

from emdesk.gui.settings import Settings


def test_settings_round_trip(tmp_path):
    path = str(tmp_path / "s.ini")
    s = Settings(QtCore.QSettings(path, QtCore.QSettings.Format.IniFormat))
    for i in range(12):
        f = tmp_path / f"f{i}.csv"
        f.write_text("x\n1\n")
        s.add_recent_file(str(f))
    s.set_fit_options({"n_components": 4, "covariance_type": "diag", "tol": 1e-5})
    s.set_animation_delay(0.2)
    s.sync()
    again = Settings(QtCore.QSettings(path, QtCore.QSettings.Format.IniFormat))
    recent = again.recent_files()
    assert len(recent) == 10 and recent[0].endswith("f11.csv")
    assert again.last_folder() == str(tmp_path)
    assert again.fit_options() == {"n_components": 4, "covariance_type": "diag", "tol": 1e-5}
    assert again.animation_delay() == 0.2


def test_default_settings_are_redirected_away_from_the_user(tmp_path):
    q = QtCore.QSettings()
    assert str(tmp_path) in q.fileName()


def test_window_restores_options_and_geometry(qtbot, settings):
    from emdesk.gui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.set_options(n_components=7, covariance_type="tied", n_init=2, tol=1e-4, random_state=42)
    w.params_panel.set_delay(0.2)
    w.show()
    qtbot.waitExposed(w)
    w.resize(760, 700)
    qtbot.waitUntil(lambda: w.size() == QtCore.QSize(760, 700))
    w.close()

    w2 = MainWindow(settings=settings)
    qtbot.addWidget(w2)
    w2.show()
    qtbot.waitExposed(w2)
    opts = w2.options()
    assert opts["n_components"] == 7 and opts["covariance_type"] == "tied" and opts["n_init"] == 2
    assert opts["tol"] == 1e-4 and opts["random_state"] == 42
    assert w2.params_panel.delay() == 0.2
    assert w2.size() == QtCore.QSize(760, 700)
    w2.close()


def test_recent_files_menu_lists_opened_files(qtbot, window, csv_2d):
    window.open_csv(csv_2d)
    window._fill_recent_menu()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert "two.csv" in texts
