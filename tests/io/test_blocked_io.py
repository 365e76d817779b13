"""Issue 16, target 2: the exports (assignments with responsibilities, imputed data) and the fill
values work in row blocks, and the blocked results equal the whole-table ones exactly."""

from __future__ import annotations

import numpy as np
import pytest

from emdesk.engine import GaussianMixture
from emdesk.io import Table, save_assignments_csv, save_imputed_csv
from emdesk.io import fillvalues, fitfile_csv
from emdesk.io.fillvalues import find_fill_values, replace_fill_values


def make(**cols):
    names = list(cols)
    X = np.column_stack([np.asarray(v, dtype=float) for v in cols.values()])
    return Table(path="m.csv", column_names=names, numeric=X, numeric_names=names, text={})


def _data(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal([0, 0, 0], 1, (n // 2, 3)), rng.normal([5, 3, -2], 1.5, (n - n // 2, 3))])
    X[rng.random(X.shape) < 0.2] = np.nan
    X[::101] = np.nan
    return X


# Blocks of a few rows are left out: BLAS computes a product of a few rows by other kernels (gemv,
# small-matrix paths), whose last digit can differ from the many-row one (measured on this data:
# blocks of 1-7 rows differ in up to 1e-16 relative for some rows, blocks of 333 rows or more never).
@pytest.mark.parametrize("block", [333, 2000])
def test_exports_in_blocks_equal_the_whole_table(tmp_path, monkeypatch, block):
    X = _data()
    t = make(x=X[:, 0], y=X[:, 1], z=X[:, 2])
    gm = GaussianMixture(2, random_state=0, missing="marginalize").fit(X)
    cols = ["x", "y", "z"]
    monkeypatch.setattr(fitfile_csv, "_ROWS_PER_BLOCK", 10**9)
    save_assignments_csv(tmp_path / "a1.csv", t, gm, cols)
    n1 = save_imputed_csv(tmp_path / "i1.csv", t, gm, cols)
    monkeypatch.setattr(fitfile_csv, "_ROWS_PER_BLOCK", block)
    save_assignments_csv(tmp_path / "a2.csv", t, gm, cols)
    n2 = save_imputed_csv(tmp_path / "i2.csv", t, gm, cols)
    assert (tmp_path / "a1.csv").read_bytes() == (tmp_path / "a2.csv").read_bytes()
    assert (tmp_path / "i1.csv").read_bytes() == (tmp_path / "i2.csv").read_bytes()
    assert n1 == n2 == int(np.isnan(X).sum())
    # And they are the engine's numbers for the whole data.
    rows = (tmp_path / "a2.csv").read_text().splitlines()[1:]
    some = [i for i in range(len(X)) if not np.isnan(X[i]).all()][:50]
    resp = gm.predict_proba(X[some])
    for r, i in enumerate(some):
        cells = rows[i].split(",")
        assert [float(c) for c in cells[3:5]] == resp[r].tolist()
    filled = gm.impute(X)
    got = np.array([[float(c) if c else np.nan for c in line.split(",")[:3]]
                    for line in (tmp_path / "i2.csv").read_text().splitlines()[1:]])
    np.testing.assert_array_equal(got, filled)


@pytest.mark.parametrize("seed", range(12))
def test_fill_values_found_in_blocks_equal_the_whole_column(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    kind = seed % 4
    if kind == 0:
        x = rng.normal(0, 1, n)
    elif kind == 1:
        x = rng.integers(0, 6, n).astype(float)  # few distinct values
    elif kind == 2:
        x = np.round(rng.normal(50, 10, n))
    else:
        x = rng.choice([0.0, 1.0], n)
    for value in rng.choice([-999.0, 9999.0, -9999.0, 1e20, 99.0], size=2, replace=False):
        x[rng.choice(n, int(rng.integers(0, max(1, n // 5))), replace=False)] = value
    x[rng.random(n) < 0.1] = np.nan
    t = make(v=x, w=rng.permutation(x))
    whole = [f for name in ("v", "w")
             for f in fillvalues._column_fills(name, t.to_array([name])[:, 0], 2)]  # the plain path
    for block in (1, 3, 16, 10**6):
        monkeypatch.setattr(fillvalues, "BLOCK_ROWS", block)
        assert find_fill_values(t) == whole
        if whole:
            a = replace_fill_values(t, whole).to_array()
            monkeypatch.setattr(fillvalues, "BLOCK_ROWS", 10**6)
            b = replace_fill_values(t, whole).to_array()
            np.testing.assert_array_equal(a, b)
