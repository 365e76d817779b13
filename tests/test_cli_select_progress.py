"""emdesk-fit --select on a terminal counts the fits as they finish (a sweep of mclust's 14 models took 45 s on
faithful and minutes with missing cells, silent until the end); piped or with -q it prints no progress."""

from __future__ import annotations

import io

import numpy as np

from emdesk import cli


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_select_shows_progress_on_a_terminal_only(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(5, 1, (30, 2))])
    data = tmp_path / "d.csv"
    data.write_text("a,b\n" + "".join(f"{u:.4f},{v:.4f}\n" for u, v in X))
    argv = [str(data), "--select", "--max-components", "2", "--covariance-types", "EII", "--n-init", "1",
            "--seed", "0", "-o", str(tmp_path / "f.json")]
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    assert cli.main(argv) == 0
    text = term.getvalue()
    assert "fitting models: 2 of 2" in text and text.endswith("\r")  # the line is erased at the end
    quiet = _Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    assert cli.main(argv[:1] + ["--select", "--max-components", "1", "--covariance-types", "EII", "--n-init", "1", "-q", "-o",
                                str(tmp_path / "g.json")]) == 0
    assert quiet.getvalue() == ""
