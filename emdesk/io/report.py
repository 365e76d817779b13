"""``write_report``: one self-contained HTML file that records a fit and how far to trust it.

Sections, each optional: the data (file, SHA-256, rows, columns, missing cells), the model and its options
(with the seed), the results tables (from :func:`emdesk.engine.summary.summary`, standard errors beside the
estimates when a bootstrap was run), the bootstrap's percentile intervals, the model-selection table, the
bootstrap likelihood-ratio tests, the checks of the model with their hints, and figures.  Figures are PNG
bytes the caller made (the window grabs its plots); they are embedded as base64 ``data:`` URIs, so the file
needs nothing beside it, opens in any browser and prints (print CSS keeps tables and figures whole).

No Qt here (a test checks it) and no engine import: the arguments are read by their public attributes.
The file is written atomically (:func:`emdesk.io._atomic.atomic_write`).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import os

import numpy as np

from ._atomic import atomic_write
from .table import DataError

__all__ = ["write_report", "data_facts"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 60em;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 2px solid #446; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; color: #335; }
h3 { font-size: 1.05em; margin-bottom: .3em; }
table { border-collapse: collapse; margin: .4em 0 1em 0; font-size: .9em; }
th, td { border: 1px solid #bbc; padding: .2em .55em; }
th { background: #eef; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.se { color: #666; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .9em; color: #444; }
.hint { background: #fff6dc; border-left: 4px solid #e0a800; padding: .4em .7em; margin: .4em 0; }
.meta { color: #555; font-size: .9em; }
code { font-size: .95em; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table, figure, .hint { page-break-inside: avoid; break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def format_value(v, digits=6) -> str:
    """A value as the report and the window's tables show it: None as "", booleans as yes/no, integers
    whole, floats to ``digits`` significant digits, a non-finite float as "NA", anything else ``str(v)``."""
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return "NA" if not math.isfinite(f) else f"{f:.{digits}g}"
    return str(v)


_num = format_value


def _table(header, rows, se_columns=()) -> str:
    out = ["<table>"]
    if header is not None:
        out.append("<thead><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in header) + "</tr></thead>")
    out.append("<tbody>")
    for r in rows:
        cells = []
        for c, v in enumerate(r):
            is_num = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            cls = ["num"] if is_num else []
            if c in se_columns:
                cls.append("se")
            attr = f' class="{" ".join(cls)}"' if cls else ""
            cells.append(f"<td{attr}>{_esc(_num(v))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def data_facts(table, columns=None) -> dict:
    """The data section's facts from an :class:`emdesk.io.Table`: file, SHA-256, rows, the columns used and
    their missing cells."""
    columns = list(table.column_names if columns is None else columns)
    missing = table.missing_counts
    return {
        "file": os.path.basename(str(table.path)) if getattr(table, "path", None) else "",
        "path": str(getattr(table, "path", "") or ""),
        "sha256": getattr(table, "sha256", ""),
        "rows": int(table.n_rows),
        "columns": columns,
        "missing_cells": {c: int(missing.get(c, 0)) for c in columns},
    }


def _data_section(data) -> str:
    parts = ["<h2>Data</h2>"]
    rows = []
    for key, label in (("file", "File"), ("path", "Path"), ("sha256", "SHA-256"), ("rows", "Rows")):
        if data.get(key) not in (None, ""):
            rows.append([label, data[key]])
    cols = data.get("columns")
    if cols:
        rows.append(["Columns", ", ".join(map(str, cols))])
    missing = data.get("missing_cells")
    if isinstance(missing, dict):
        total = sum(int(v) for v in missing.values())
        rows.append(["Missing cells", total])
    elif missing is not None:
        rows.append(["Missing cells", int(missing)])
    parts.append(_table(None, rows))
    if isinstance(missing, dict) and any(missing.values()):
        parts.append("<h3>Missing cells per column</h3>")
        parts.append(_table(["column", "missing cells"], [[c, int(v)] for c, v in missing.items()]))
    return "\n".join(parts)


def _option_value(v):
    if v is None:
        return "None"
    if isinstance(v, np.ndarray):
        return f"array of shape {v.shape}"
    if isinstance(v, (list, tuple)) and len(v) > 8:
        return f"{type(v).__name__} of {len(v)}"
    if isinstance(v, np.random.Generator):
        return "numpy Generator (no fixed seed)"
    return repr(v) if isinstance(v, str) else str(v)


def _model_section(model, options) -> str:
    parts = ["<h2>Model and options</h2>"]
    params = {}
    if model is not None and hasattr(model, "get_params"):
        params.update(model.get_params())
        parts.append(f"<p>{_esc(type(model).__name__)}</p>")
    if options:  # further settings: never in place of the fitted model's own (a Model panel changed after the
        # fit said "n_components 4, EII" above the results of a 2-component full fit)
        for key, value in options.items():
            params.setdefault(key, value)
    rows = [[k, _option_value(v)] for k, v in params.items()]
    seed = params.get("random_state", None)
    parts.append(_table(["option", "value"], rows))
    if params.get("prior") is not None:
        from emdesk.engine.prior import describe_prior

        parts.append(f'<p class="meta">Prior: {_esc(describe_prior(params["prior"]))} (mclust\'s conjugate prior, '
                     "Fraley &amp; Raftery 2007): EM found the MAP estimate; the log-likelihood, BIC, AIC and ICL "
                     "are the likelihood's at it, as mclust reports them.</p>")
    if "random_state" in params:
        parts.append(f'<p class="meta">Seed (random_state): {_esc(_option_value(seed))}'
                     f"{'; the fit is not reproducible without a fixed seed.' if seed is None else '.'}</p>")
    return "\n".join(parts)


def _summary_section(summary) -> str:
    parts = ["<h2>Results</h2>"]
    for title, header, rows in summary.tables():
        se_cols = {c for c, h in enumerate(header) if h == "SE"}
        parts.append(f"<h3>{_esc(title)}</h3>")
        parts.append(_table(header, rows, se_cols))
    if getattr(summary, "standard_errors", None) and getattr(summary, "n_boot", None):
        parts.append(f'<p class="meta">SE: standard errors from a {_esc(summary.bootstrap_method)} bootstrap, '
                     f"{_esc(summary.n_boot)} replicates.</p>")
    if getattr(summary, "notes", ()):
        parts.append(_notes_section(summary))
    parts.append('<p class="meta">BIC, AIC and ICL: lower is better.</p>')
    return "\n".join(parts)


def _bootstrap_section(boot, level, feature_names) -> str:
    parts = [f"<h2>Bootstrap ({_esc(boot.method)})</h2>",
             f"<p>{_esc(boot.n_done)} successful replicates of {_esc(boot.n_boot)} asked for"
             f"{', ' + _esc(boot.n_failed) + ' failed' if boot.n_failed else ''}"
             f"{' (stopped before the end)' if boot.cancelled else ''}; each refitted from the fitted "
             f"parameters and aligned to the fit ({_esc(boot.n_label_switches)} relabelled). "
             f"Seed entropy {_esc(boot.seed_entropy)}.</p>"]
    if boot.n_done < 2:
        return "\n".join(parts)
    ci = boot.confidence_intervals(level)
    pct = f"{level * 100:g}%"
    est = boot.estimates
    unit = "state" if "transmat" in est else "component"
    d = np.shape(est["means"])[1] if "means" in est else None
    names = list(feature_names) if feature_names is not None else None
    rows = []
    # every parameter but the covariance matrices (their SEs are in the Results tables), components in order
    for key in est:
        if key in ("covariances", "covars"):
            continue
        lo, hi = ci[key]
        e, se = np.asarray(est[key], dtype=float), np.asarray(boot.standard_errors[key], dtype=float)
        for idx in np.ndindex(e.shape):
            if key == "weights":
                label = f"weight {idx[0] + 1}"
            elif key == "means" and names is not None and d is not None and len(names) >= d:
                label = f"mean {names[idx[1]]}, {unit} {idx[0] + 1}"
            elif key == "means":
                label = f"mean x{idx[1] + 1}, {unit} {idx[0] + 1}"
            elif key == "transmat":
                label = f"transition {unit} {idx[0] + 1} -> {idx[1] + 1}"
            elif key == "startprob":
                label = f"start probability, {unit} {idx[0] + 1}"
            else:
                label = f"{key} " + ", ".join(str(i + 1) for i in idx)
            rows.append([label, float(e[idx]), float(se[idx]), float(lo[idx]), float(hi[idx])])
    parts.append(f"<h3>Percentile intervals ({pct})</h3>")
    parts.append(_table(["parameter", "estimate", "SE", "lower", "upper"], rows, {2}))
    return "\n".join(parts)


def _selection_section(selection) -> str:
    parts = ["<h2>Model selection</h2>"]
    if isinstance(selection, tuple) and len(selection) == 2:
        header, rows = selection
        parts.append(_table(header, rows))
        return "\n".join(parts)
    header = ["components", "covariance", "log-likelihood", "parameters", "BIC", "AIC", "ICL", "note"]
    rows = []
    best = getattr(selection, "best_row", None)
    for r in selection.table:
        note = getattr(r, "error", None) or ("degenerate" if getattr(r, "degenerate", False) else "")
        if best is not None and r is best:
            note = (note + "; " if note else "") + "chosen"
        rows.append([r.n_components, r.covariance_type, r.log_likelihood, r.n_parameters, r.bic, r.aic, r.icl, note])
    parts.append(_table(header, rows))
    reason = getattr(selection, "reason", "")
    if reason:
        parts.append(f"<p>{_esc(reason)}</p>")
    return "\n".join(parts)


def _lrt_section(lrt) -> str:
    header, rows = lrt.table()
    return "\n".join([f"<h2>Bootstrap likelihood-ratio tests ({_esc(lrt.covariance_type)})</h2>",
                      _table(header, rows),
                      f'<p class="meta">McLachlan (1987): {_esc(lrt.n_boot)} parametric bootstrap samples per '
                      f"test under the smaller model; p = (1 + #replicates &ge; observed) / (B + 1).</p>"])


def _residuals_section(res) -> str:
    parts = ["<h2>Checks of the model: pseudo-residuals</h2>"]
    what = ("one-step forecast" if res.kind == "forecast" else "ordinary (given all other time steps)")
    parts.append(f"<p>Normal pseudo-residuals, {_esc(what)} (Zucchini, MacDonald &amp; Langrock, <i>Hidden Markov "
                 "Models for Time Series</i>, ch. 6): independent standard normal values when the model is "
                 f"right. {_esc(getattr(res, 'note', ''))}</p>")
    for h in res.hints:
        parts.append(f'<div class="hint">{_esc(h.message)}</div>')
    if not res.hints:
        parts.append("<p>No check points at a problem.</p>")
    rows = [[c.name, int(c.residuals.size), c.mean, c.std, c.ks_statistic, c.p_value,
             float(c.acf[1]) if c.acf.size > 1 else None, c.acf_band] for c in res.columns]
    parts.append(_table(["column", "values", "mean", "SD", "KS distance", "p-value", "lag-1 ACF", "95% band"], rows))
    return "\n".join(parts)


def _notes_section(summary) -> str:
    notes = getattr(summary, "notes", ())
    return "\n".join(f'<p class="meta">{_esc(n)}</p>' for n in notes)


def _checks_section(checks) -> str:
    if hasattr(checks, "columns") and not hasattr(checks, "qq"):  # an HMM's pseudo-residuals
        return _residuals_section(checks)
    parts = ["<h2>Checks of the model</h2>"]
    hints = getattr(checks, "hints", ())
    if hints:
        for h in hints:
            parts.append(f'<div class="hint">{_esc(h.message)}</div>')
    else:
        parts.append("<p>No check points at a problem.</p>")
    rows = [[f"component {c.component + 1}", int(c.rows.size), c.ks_statistic, c.p_value, c.kurtosis_z]
            for c in checks.qq]
    parts.append("<h3>Squared Mahalanobis distances vs chi-square</h3>")
    parts.append(_table(["component", "rows (MAP)", "KS distance", "p-value", "Mardia kurtosis z"], rows))
    rows = [[m.name, int(m.values.size), m.ks_statistic, m.p_value] for m in checks.marginals]
    parts.append("<h3>Probability integral transform of each column (uniform when the model fits)</h3>")
    parts.append(_table(["column", "values", "KS distance", "p-value"], rows))
    unc = checks.uncertainty
    top = unc.most_uncertain(10)
    rows = [[int(i) + 1, float(unc.values[i]), int(unc.labels[i]) + 1] for i in top]
    parts.append("<h3>Most uncertain rows</h3>")
    parts.append(_table(["row", "uncertainty", "component (MAP)"], rows))
    return "\n".join(parts)


def _figure(caption, png) -> str:
    if isinstance(png, str):
        raise DataError("Report figures must be PNG bytes, not a file name.")
    png = bytes(png)
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise DataError(f"The figure {caption!r} is not PNG data.")
    b64 = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{_esc(caption)}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


def write_report(path, *, title="emdesk report", data=None, table=None, columns=None, model=None, options=None,
                 summary=None, bootstrap=None, level=0.95, selection=None, lrt=None, checks=None, figures=(),
                 notes=None, generator="emdesk") -> str:
    """Write the HTML report to ``path`` (atomically) and return the HTML text.

    Parameters (all optional but ``path``)
    --------------------------------------
    data : dict with ``file``, ``path``, ``sha256``, ``rows``, ``columns``, ``missing_cells`` (int or dict
        column -> count); or give ``table`` (an :class:`emdesk.io.Table`) and ``columns`` (see
        :func:`data_facts`)
    model : a fitted model (its ``get_params()`` are listed, the seed is named); ``options`` a dict of
        further settings to list (a key the model's parameters hold is listed with the model's value)
    summary : an :class:`emdesk.engine.summary.Summary` (its tables, with SE columns when it has them) or,
        for HMMs and the other families, an :class:`emdesk.engine.summary_kinds.KindSummary`
    bootstrap : an :class:`emdesk.engine.bootstrap.BootstrapResult` (percentile intervals at ``level``)
    selection : an :class:`emdesk.engine.SelectionResult`, or ``(header, rows)``
    lrt : an :class:`emdesk.engine.bootstrap.LRTResult`
    checks : an :class:`emdesk.engine.checks.ModelChecks`, or an HMM's
        :class:`emdesk.engine.checks.PseudoResiduals`
    figures : sequence of ``(caption, png_bytes)``
    notes : free text shown under the title

    Raises
    ------
    DataError when the file cannot be written (the previous file is then unchanged) or a figure is not PNG.
    """
    if table is not None and data is None:
        data = data_facts(table, columns)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"<h1>{_esc(title)}</h1>", f'<p class="meta">Written by {_esc(generator)} on {_esc(stamp)}.</p>']
    if notes:
        body.append(f"<p>{_esc(notes)}</p>")
    if data:
        body.append(_data_section(data))
    if model is not None or options:
        body.append(_model_section(model, options))
    if summary is not None:
        body.append(_summary_section(summary))
    if bootstrap is not None:
        names = getattr(summary, "feature_names", None) if summary is not None else None
        if names is None and data:
            names = data.get("columns")
        body.append(_bootstrap_section(bootstrap, level, names))
    if selection is not None:
        body.append(_selection_section(selection))
    if lrt is not None:
        body.append(_lrt_section(lrt))
    if checks is not None:
        body.append(_checks_section(checks))
    figs = [_figure(c, png) for c, png in figures]
    if figs:
        body.append("<h2>Figures</h2>")
        body.extend(figs)
    text = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
    with atomic_write(path, newline="\n") as fh:
        fh.write(text)
    return text
