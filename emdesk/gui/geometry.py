"""Small NumPy helpers the views share: colours, marginal covariances, ellipses, densities."""

from __future__ import annotations

import numpy as np

# Tableau 10 (the default colour cycle of matplotlib >= 2.0), readable on white and distinct in hue.
_BASE = np.array(
    [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ],
    dtype=float,
)


def cache_axes(plot_item) -> None:
    """Let Qt keep each axis (with its grid lines) as a pixmap: axes of a fixed view need not be re-rendered
    for every animation frame (replaying them cost ~5 ms per axis per frame here)."""
    from PySide6.QtWidgets import QGraphicsItem

    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def plain_axes(plot_item) -> None:
    """Tick labels in the data's own units on every axis: pyqtgraph's automatic SI prefix showed a column of
    0.2-0.7 as 200-700 with "share (x0.001)" beside it, and 2e-4 as 200 with "(x1e-06)" (it rescales unitless
    axes whose values are below 1 or above 1e9), which people read as the values."""
    for name in ("left", "bottom", "right", "top"):
        plot_item.getAxis(name).enableAutoSIPrefix(False)


VIEW_LIMIT = 1e300  # plot ranges stay inside +-this: a wider span overflows (e.g. DBL_MAX written for "no value")


def view_clip(value: float) -> float:
    """``value`` clipped to +-VIEW_LIMIT (NaN, e.g. a percentile between -inf-ish and +inf-ish: 0)."""
    return float(np.clip(np.nan_to_num(value, nan=0.0), -VIEW_LIMIT, VIEW_LIMIT))


def padded_range(lo: float, hi: float, pad_fraction: float) -> tuple[float, float]:
    """The view range (lo - pad, hi + pad), pad = ``pad_fraction`` of the span (of 1 when the span is 0),
    finite even for values at the float limit (see ``view_clip``)."""
    lo, hi = view_clip(lo), view_clip(hi)
    pad = pad_fraction * (hi - lo if hi > lo else 1.0)
    return lo - pad, hi + pad


def dot_style(n_points: int) -> tuple[int, int]:
    """(diameter px, alpha) so that many points do not merge into one blot."""
    if n_points <= 3_000:
        return 7, 210
    if n_points <= 15_000:
        return 5, 170
    return 4, 120


def legend_label(i: int, weight: float | None, k: int, flagged: bool = False) -> str:
    """Legend text of component ``i`` (0-based): long for a few components, compact for many."""
    w = "0.000" if weight is None else f"{float(weight):.3f}"
    warn = " \u26a0" if flagged else ""
    if k <= 6:
        return f"component {i + 1}   w = {w}" + (warn + " degenerate" if flagged else "")
    return f"{i + 1}: {w}{warn}"


def legend_columns(k: int) -> int:
    return 1 if k <= 6 else -(-k // 6)


def component_colors(k: int) -> np.ndarray:
    """(k, 3) RGB in 0..255; after ten colours the cycle repeats darker, then lighter."""
    out = np.empty((k, 3))
    for i in range(k):
        base = _BASE[i % 10]
        turn = i // 10
        if turn == 1:
            base = base * 0.65
        elif turn >= 2:
            base = base + (255 - base) * 0.45
        out[i] = base
    return out


def _layout(covariance_type: str, cov: np.ndarray) -> str:
    """scikit-learn's layout of ``cov`` for a covariance_type that may be one of mclust's model names
    (stored as emdesk.engine.covariance_models.storage_type says)."""
    if covariance_type in ("full", "tied", "diag", "spherical"):
        return covariance_type
    from emdesk.engine import covariance_models as cm

    if cov.ndim == 3:
        return "full"
    if cov.ndim == 1:
        return "spherical"
    if cov.ndim == 2 and cov.shape == (1, 1):  # one feature: E (tied) or V/diag hold the same number
        return "tied"
    return cm.storage_type(covariance_type, cov.shape[-1]) if covariance_type in cm.MODEL_NAMES else "tied"


def marginal_covariances(covariances, covariance_type: str, k: int, dims) -> np.ndarray:
    """The (k, m, m) covariances of the marginal on the feature indices ``dims``."""
    dims = list(dims)
    cov = np.asarray(covariances, dtype=float)
    m = len(dims)
    covariance_type = _layout(covariance_type, cov)
    if covariance_type == "full":
        return cov[:, dims][:, :, dims]
    if covariance_type == "tied":
        return np.broadcast_to(cov[np.ix_(dims, dims)], (k, m, m)).copy()
    if covariance_type == "diag":
        out = np.zeros((k, m, m))
        idx = np.arange(m)
        out[:, idx, idx] = cov[:, dims]
        return out
    if covariance_type == "spherical":
        return cov.reshape(k, 1, 1) * np.eye(m)[None, :, :]
    raise ValueError(f"unknown covariance_type {covariance_type!r}")


_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 73)), np.sin(np.linspace(0, 2 * np.pi, 73))])


def ellipse(mean2, cov2, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Points (x, y) of the Mahalanobis-``radius`` ellipse of a 2-D Gaussian."""
    vals, vecs = np.linalg.eigh(np.asarray(cov2, dtype=float))
    vals = np.clip(vals, 0.0, None)
    pts = vecs @ (np.sqrt(vals)[:, None] * _CIRCLE) * radius
    return pts[0] + mean2[0], pts[1] + mean2[1]


def normal_pdf(x: np.ndarray, mean: float, var: float) -> np.ndarray:
    var = max(float(var), 1e-300)
    return np.exp(-0.5 * (x - mean) ** 2 / var) / np.sqrt(2.0 * np.pi * var)


def blend_colors(resp: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Per-point colour as the responsibility-weighted blend of component colours: (n, 3)."""
    r = np.nan_to_num(np.asarray(resp, dtype=float), nan=0.0)
    s = r.sum(axis=1, keepdims=True)
    r = np.divide(r, s, out=np.full_like(r, 1.0 / max(r.shape[1], 1)), where=s > 0)
    # Not ``r @ colors``: that goes through BLAS, whose worker threads then compete with the engine's
    # (measured: 50 ms instead of 1 ms per frame of 50,000 points during a fit on 2 cores).
    out = np.zeros((r.shape[0], 3))
    for j in range(r.shape[1]):
        out += r[:, j, None] * colors[j]
    return out


COLOR_LEVELS = 8  # per channel: 8**3 = 512 colours, pre-rendered once by ColoredPointsItem


def quantise_colors(rgb: np.ndarray) -> np.ndarray:
    """(n, 3) RGB in 0..255 -> (n,) palette index r*64 + g*8 + b on an 8-level grid per channel."""
    L = COLOR_LEVELS
    q = np.clip(np.rint(np.asarray(rgb, dtype=float) / 255.0 * (L - 1)), 0, L - 1).astype(np.int64)
    return (q[:, 0] * L + q[:, 1]) * L + q[:, 2]


def responsibility_color_ids(resp: np.ndarray, k: int) -> np.ndarray:
    """Palette indices of each row's blend of component colours (pure NumPy: any thread may call it)."""
    return quantise_colors(blend_colors(resp, component_colors(k)))


NEUTRAL_RGB = (120.0, 120.0, 120.0)
