"""emdesk.io.report.write_report: a self-contained HTML report, parsed back with html.parser."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser

import numpy as np
import pytest

from emdesk.engine import GaussianMixture, select_model
from emdesk.engine.bootstrap import bootstrap, bootstrap_lrt
from emdesk.engine.checks import check_model
from emdesk.engine.summary import summary
from emdesk.io import DataError, load_table
from emdesk.io.report import data_facts, write_report


def tiny_png(w=3, h=2):
    """A valid w x h RGB PNG made by hand (no Qt, no imaging library)."""
    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * w for _ in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Parsed(HTMLParser):
    """Headings, tables (lists of rows of cell text), images and hint paragraphs of the report."""

    def __init__(self):
        super().__init__()
        self.headings, self.tables, self.images, self.hints, self.text = [], [], [], [], []
        self._stack, self._cell, self._row, self._hint = [], None, None, None
        self.style = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._stack.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "img":
            self.images.append(a)
        elif tag in ("h1", "h2", "h3"):
            self.headings.append("")
        elif tag == "div" and a.get("class") == "hint":
            self._hint = ""

    def handle_endtag(self, tag):
        if self._stack:
            self._stack.pop()
        if tag in ("td", "th"):
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr":
            self.tables[-1].append(self._row)
        elif tag == "div" and self._hint is not None:
            self.hints.append(self._hint)
            self._hint = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell += data
        if self._stack and self._stack[-1] in ("h1", "h2", "h3"):
            self.headings[-1] += data
        if self._hint is not None:
            self._hint += data
        if self._stack and self._stack[-1] == "style":
            self.style += data


def parse(path):
    p = Parsed()
    with open(path, encoding="utf-8") as fh:
        p.feed(fh.read())
    return p


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0, 0], 1.0, (60, 2)), rng.normal([6, 3], [1.0, 0.5], (60, 2))])
    X[3, 1] = np.nan
    folder = tmp_path_factory.mktemp("rep")
    csv = folder / "data <&> x.csv"
    lines = ["a,b,label"] + [f"{x:.6f},{'' if np.isnan(y) else f'{y:.6f}'},r{i}" for i, (x, y) in enumerate(X)]
    csv.write_text("\n".join(lines) + "\n")
    table = load_table(str(csv))
    Xt = table.to_array(["a", "b"])
    gm = GaussianMixture(2, random_state=42, missing="marginalize").fit(Xt)
    gm.feature_names_in_ = ["a", "b"]
    boot = bootstrap(gm, Xt, n_boot=20, random_state=1, n_jobs=1)
    return {"csv": csv, "table": table, "X": Xt, "gm": gm, "boot": boot,
            "summary": summary(gm, Xt, bootstrap=boot), "checks": check_model(gm, Xt)}


def test_full_report_contents(tmp_path, setup):
    s = setup
    Xc = s["X"][~np.isnan(s["X"]).any(axis=1)]
    sel = select_model(Xc, n_components=range(1, 3), covariance_types=("full",), random_state=0)
    lrt = bootstrap_lrt(Xc, "full", max_components=1, n_boot=19, random_state=0, n_jobs=1, n_init=1, tol=1e-3)
    png = tiny_png()
    out = tmp_path / "report.html"
    write_report(out, title="Fit of <data>", table=s["table"], columns=["a", "b"], model=s["gm"],
                 options={"missing mode": "marginalize"}, summary=s["summary"], bootstrap=s["boot"],
                 selection=sel, lrt=lrt, checks=s["checks"], figures=[("2-D plot", png)])
    p = parse(out)
    assert p.headings[0] == "Fit of <data>"
    for h in ("Data", "Model and options", "Results", "Bootstrap (nonparametric)", "Model selection",
              "Bootstrap likelihood-ratio tests (full)", "Checks of the model", "Figures"):
        assert h in p.headings, h
    facts = dict((r[0], r[1]) for r in p.tables[0])
    assert facts["File"] == "data <&> x.csv"
    assert facts["SHA-256"] == hashlib.sha256(s["csv"].read_bytes()).hexdigest()
    assert facts["Rows"] == "120" and facts["Columns"] == "a, b" and facts["Missing cells"] == "1"
    text = "".join(p.text)
    assert "random_state" in text and "Seed (random_state): 42" in text
    # the means table carries estimates and their SE columns
    means = p.tables[[i for i, t in enumerate(p.tables) if t and t[0][:2] == ["", "component 1"]
                      and t[1][0] == "a"][0]]
    assert means[0] == ["", "component 1", "SE", "component 2", "SE"]
    assert float(means[1][1]) == pytest.approx(s["gm"].means_[0, 0], rel=1e-5)
    assert float(means[1][2]) == pytest.approx(s["boot"].standard_errors["means"][0, 0], rel=1e-5)
    # the bootstrap interval table
    ci = [t for t in p.tables if t and t[0] == ["parameter", "estimate", "SE", "lower", "upper"]][0]
    lo, hi = s["boot"].confidence_intervals(0.95)["weights"]
    assert float(ci[1][3]) == pytest.approx(lo[0], rel=1e-5) and float(ci[1][4]) == pytest.approx(hi[0], rel=1e-5)
    # selection and LRT rows
    assert any(r[:2] == ["2", "full"] and "chosen" in r[-1] for t in p.tables for r in t)
    assert any(r[0] == "1 vs 2" for t in p.tables for r in t)
    # embedded figure round-trips
    (img,) = p.images
    assert img["alt"] == "2-D plot"
    assert img["src"].startswith("data:image/png;base64,")
    assert base64.b64decode(img["src"].split(",", 1)[1]) == png
    assert "@media print" in p.style
    assert "<script" not in out.read_text()
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_hints_are_shown(tmp_path):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal([6, 0], 1, (200, 2))])
    gm = GaussianMixture(1).fit(X)
    out = tmp_path / "r.html"
    write_report(out, checks=check_model(gm, X))
    p = parse(out)
    assert len(p.hints) == 1 and "one more component" in p.hints[0]


def test_minimal_report_and_data_dict(tmp_path):
    out = tmp_path / "r.html"
    text = write_report(out, data={"file": "x.csv", "rows": 5, "columns": ["u"], "missing_cells": {"u": 2}})
    assert out.read_text() == text
    p = parse(out)
    assert p.headings == ["emdesk report", "Data", "Missing cells per column"]
    assert ["u", "2"] in p.tables[1]


def test_data_facts(setup):
    f = data_facts(setup["table"], ["a", "b"])
    assert f["rows"] == 120 and f["missing_cells"] == {"a": 0, "b": 1} and len(f["sha256"]) == 64
    json.dumps(f)


def test_bad_figure_and_unwritable_target_leave_the_old_file(tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old")
    with pytest.raises(DataError, match="PNG"):
        write_report(out, figures=[("plot", b"GIF89a...")])
    with pytest.raises(DataError, match="PNG bytes"):
        write_report(out, figures=[("plot", "plot.png")])
    assert out.read_text() == "old"
    with pytest.raises(DataError, match="folder"):
        write_report(tmp_path, title="x")
    with pytest.raises(DataError):
        write_report(tmp_path / "missing" / "r.html")


def test_report_module_imports_no_qt():
    code = ("import json, sys; import emdesk.io.report, emdesk.engine.bootstrap, emdesk.engine.checks, "
            "emdesk.engine.summary, emdesk.engine.align; print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if m.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "pyqtgraph")
                or m.startswith("emdesk.gui")]


def test_the_fitted_models_parameters_win_over_further_options(tmp_path, setup):
    """The window passed the Model panel's current settings as options: changed after the fit, they replaced
    the fitted model's ("n_components 4, EII" above the results of a 2-component full fit)."""
    out = tmp_path / "r.html"
    gm = setup["gm"]
    write_report(out, model=gm, options={"n_components": gm.n_components + 2, "covariance_type": "EII",
                                         "missing mode": "drop"})
    rows = {r[0]: r[1] for r in parse(out).tables[0]}
    assert rows["n_components"] == str(gm.n_components) and rows["covariance_type"] == repr(gm.covariance_type)
    assert rows["missing mode"] == "'drop'"
