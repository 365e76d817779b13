"""emdesk-fit says when a fit's log-likelihood fell (emdesk.engine.likelihood_fall): one warning line with the
reason and the fix under "converged yes" (states / components held up by a large reg_covar), HMM and Gaussian
mixture; and nothing for a constant column with missing cells or empty steps, which no longer falls (the ridge
is added where the data were observed: emdesk.engine._missing)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cli_run import run_in_process as run

pytestmark = pytest.mark.filterwarnings("ignore::emdesk.engine.diagnostics.DegenerateSolutionWarning",
                                        "ignore::emdesk.engine.diagnostics.DataColumnWarning")


def _sequence_csv(path, flat=True):
    rng = np.random.default_rng(7)
    lines = ["site,day,level" + (",flat" if flat else "")]
    for sid in ("north", "south"):
        for t in range(30):
            x = round(float(rng.normal(0 if (t // 10) % 2 else 4, 0.5)), 3)
            empty = (sid, t) in (("north", 4), ("north", 5), ("south", 9))
            lines.append(f"{sid},{t}," + ("," if flat else "") if empty else
                         f"{sid},{t},{x}" + (",1" if flat else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


def _hmm(path, tmp_path, *extra):
    return run(path, "--model", "hmm", "-k", "2", "--covariance", "diag", "--seed", "0", "--sequence-column", "site",
               "--order-column", "day", "-o", tmp_path / "m.json", *extra)


def test_hmm_held_up_by_a_large_reg_covar_warns_that_the_likelihood_fell(tmp_path):
    out = _hmm(_sequence_csv(tmp_path / "level.csv", flat=False), tmp_path, "--reg-covar", "2")
    assert out.returncode == 0, out.stderr
    assert "converged yes" in out.stdout
    assert "emdesk-fit: warning: The log-likelihood fell by " in out.stderr
    assert "because reg_covar holds the variance of states 1, 2 up (at its floor): either they have collapsed (fit fewer states" in out.stderr


@pytest.mark.parametrize("flat", [True, False])
def test_hmm_with_or_without_the_constant_column_says_nothing_of_a_fall(tmp_path, flat):
    out = _hmm(_sequence_csv(tmp_path / "seq.csv", flat=flat), tmp_path)
    assert out.returncode == 0, out.stderr
    assert "converged yes" in out.stdout and "log-likelihood fell" not in out.stderr


def _mixture_csv(path):
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(0, 0.5, 30), rng.normal(4, 0.5, 30)]
    path.write_text("x,flat\n" + "".join(f"{v:.4f},{'' if i in (4, 5, 40) else 1}\n" for i, v in enumerate(x)))
    return path


def test_mixture_constant_column_with_missing_cells_does_not_fall_and_a_large_reg_covar_warns(tmp_path):
    path = _mixture_csv(tmp_path / "mix.csv")
    out = run(path, "-k", "2", "--covariance", "diag", "--seed", "0", "-o", tmp_path / "m.json")
    assert out.returncode == 0, out.stderr
    assert "log-likelihood fell" not in out.stderr
    out = run(path, "-k", "2", "--covariance", "diag", "--seed", "0", "--columns", "x", "--reg-covar", "1",
              "-o", tmp_path / "m2.json")
    assert out.returncode == 0, out.stderr
    assert "because reg_covar holds the variance of components 1, 2 up (at its floor): either they have collapsed (fit fewer components" in out.stderr
