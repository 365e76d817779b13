"""Degeneracy diagnostics for Gaussian-mixture parameters (issue 7).

EM maximises a likelihood that is unbounded: a component that shrinks onto a few
identical values (rounded data: integer waiting times, values recorded to one
decimal) gets an ever higher density there, and only the ``reg_covar`` added to
the diagonal stops its variance at a floor.  The likelihood, and so the BIC,
then look excellent while the model is nonsense.  :func:`diagnose` recognises
such parameters; the engine runs it on every snapshot and on the final fit
(``GaussianMixture.degeneracies_``), and the model-selection sweep never
prefers a fit with issues (mclust likewise reports such models as singular
instead of choosing them).

Pure NumPy and cheap: one batched symmetric eigen-decomposition of ``k`` small
``d x d`` matrices at most, so it can run every EM iteration.

Thresholds (module constants, see :func:`diagnose`):

``variance_floor``
    Judged relative to the data's own covariance, so that the verdict does not depend on the
    units (issue 11): for full and tied covariances the generalised eigenvalues of a
    component's covariance ``S`` against the data's covariance ``Sigma`` (``S v = lambda Sigma
    v``; ``lambda`` is the component's variance along some direction divided by the data's
    variance along it), which are invariant under every invertible linear map of the data
    (``x -> A x + c`` changes ``S`` and ``Sigma`` alike); for diagonal covariances the ratio
    per feature (invariant under rescaling each feature); for spherical ones the variance over
    the data's mean per-feature variance.  Given only per-feature data variances (a ``(d,)``
    array), full and tied covariances are judged against their diagonal, as before.
    Flag when the smallest is below ``max(VARIANCE_FLOOR_RELATIVE, FLOOR_FACTOR *
    reg_covar / data_variance)``.  ``1e-4`` means a standard deviation of 1 % of the data's
    along that direction: a component that collapsed onto tied values sits at the floor
    (``reg_covar``, 1e-6 relative by default), two orders of magnitude below, while a genuine
    tight cluster would have to be 100 times narrower than the whole data set in that
    direction to be flagged.  Nearly collinear columns (radius, perimeter and area of the
    same cells) no longer count as a collapse: the data themselves are narrow along their
    near-null direction, and so the comparison is with that.  The ``FLOOR_FACTOR *
    reg_covar`` term (10: at least a tenth of that variance is the regularisation itself)
    keeps the test meaningful when a user raises ``reg_covar``.  A constant feature (no
    variance) never counts as a collapse.
``too_few_points``
    Effective size ``weights[i] * n_samples`` below the points the covariance model needs
    (:data:`POINTS_NEEDED`, :func:`points_needed`): ``d + 1`` for a full (per-component)
    covariance, 2 for a diagonal or spherical one (a variance needs two distinct values), and
    1 for a tied covariance (shared by all components, estimated from all rows: a component
    needs no minimum of its own beyond one point for its mean).
``ill_conditioned``
    A covariance with non-finite entries, not positive definite, or whose
    standardised form ``C`` has a condition number above ``CONDITION_MAX``
    (1e8).  With the default floor the variance-floor test usually fires first;
    this one catches numerically broken covariances (it is reported only when
    the variance-floor test did not fire for that component).

Components are 0-based in :class:`ComponentIssue.component`; the messages
number them from 1, as people count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DegenerateSolutionWarning",
    "DataColumnWarning",
    "ComponentIssue",
    "diagnose",
    "format_issues",
    "advice",
    "VARIANCE_FLOOR_RELATIVE",
    "FLOOR_FACTOR",
    "CONDITION_MAX",
    "ISSUE_KINDS",
    "COLLAPSE_KINDS",
    "is_collapse",
    "POINTS_NEEDED",
    "points_needed",
]

#: A component's variance along some direction, relative to the data's variance along it,
#: below which the component counts as collapsed.
VARIANCE_FLOOR_RELATIVE = 1e-4
#: ... or below this multiple of the regularisation (relative), whichever is larger.
FLOOR_FACTOR = 10.0
#: Condition number (of the covariance in the data's standardised units) above which a
#: covariance counts as numerically singular.
CONDITION_MAX = 1e8
#: A "collapsed" variance at least this fraction of the data's own means the floor is high because
#: reg_covar is large for the data (the message then says to lower it, not that points are tied).
REG_DOMINATES = 0.1

ISSUE_KINDS = ("variance_floor", "too_few_points", "ill_conditioned")
#: The kinds that mean a collapse, whose likelihood is spuriously high (it grows without bound as the
#: component shrinks): a restart with one is not kept over a sound one (:func:`emdesk.engine.em.kept_restart`).
#: An HMM's ``empty_state`` and ``dead_transition_row`` are not among them: an unused state or an
#: unestimable transition row does not raise the likelihood (such a fit is a sound fit with fewer states).
COLLAPSE_KINDS = ISSUE_KINDS


def is_collapse(issues) -> bool:
    """True when ``issues`` (ComponentIssue items, e.g. a restart's final diagnosis) hold a collapse
    (a kind in :data:`COLLAPSE_KINDS`)."""
    return any(getattr(i, "kind", None) in COLLAPSE_KINDS for i in issues or ())

#: Effective points a component needs for its covariance to be estimable, per covariance type:
#: ``(a, b)`` means ``a * d + b``.  full (mclust VVV; every model whose orientation varies per
#: component, xxV: EEV, VEV, EVV, VVV): d + 1.  diag and spherical (VVI, VII; the per-component
#: volume or shape models VEI, EVI, EVE, VEE, VVE have a per-component variance too): 2.  tied
#: (EEE; EII, EEI: one covariance shared by all components, estimated from every row): 1, the
#: point its mean needs.  mclust's names can be added to this table as they are wired in.
POINTS_NEEDED = {"full": (1, 1), "diag": (0, 2), "spherical": (0, 2), "tied": (0, 1)}
_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


class DegenerateSolutionWarning(UserWarning):
    """EM converged to a degenerate (spurious) solution; see the model's ``degeneracies_``."""


class DataColumnWarning(UserWarning):
    """The data have constant columns or exactly linearly dependent ones (found before fitting;
    see the model's ``column_notes_``).  The fit goes on: such a column or combination gets
    variance ``reg_covar`` in every component, which :func:`diagnose` does not count as a
    collapse."""


@dataclass(frozen=True)
class ComponentIssue:
    """One problem with one component of a fitted (or in-progress) mixture."""

    component: int  # 0-based
    kind: str  # "variance_floor" | "too_few_points" | "ill_conditioned"
    message: str  # one sentence a user understands


def points_needed(covariance_type: str, d: int) -> int:
    """Effective points (sum of responsibilities) a component of ``covariance_type`` needs in ``d``
    dimensions (see :data:`POINTS_NEEDED`); ValueError for an unknown type."""
    try:
        a, b = POINTS_NEEDED[covariance_type]
    except KeyError:
        raise ValueError(f"covariance_type must be one of {', '.join(POINTS_NEEDED)}; "
                         f"got {covariance_type!r}.") from None
    return int(a * d + b)


def _whitening(C, Q=None):
    """``T`` (d, r) with ``T' C T = I`` on the range of ``C`` (restricted to the columns of ``Q``
    first when given): eigenvalues below 1e-12 of the largest are left out (directions in which
    the data have no variance)."""
    if Q is not None:
        C = Q.T @ C @ Q
    lam, V = np.linalg.eigh(0.5 * (C + C.T))
    top = float(lam[-1]) if lam.size else 0.0
    keep = lam > max(top, 0.0) * 1e-12
    T = V[:, keep] / np.sqrt(lam[keep])
    return T if Q is None else Q @ T


def _as_full(covariances: np.ndarray, covariance_type: str, k: int, d: int) -> np.ndarray:
    """Covariances as (k, d, d) (tied: (1, d, d)); diag/spherical are handled without this."""
    if covariance_type == "full":
        return covariances.reshape(k, d, d)
    return covariances.reshape(1, d, d)


def diagnose(
    weights,
    covariances,
    covariance_type,
    n_samples,
    data_variances,
    reg_covar,
    null_space=None,
    binary_columns=(),
    column_names=None,
) -> tuple[ComponentIssue, ...]:
    """Return the issues of a mixture's parameters (empty tuple when it looks sound).

    Parameters
    ----------
    weights : (k,) mixing weights.
    covariances : scikit-learn shapes: full ``(k, d, d)``, tied ``(d, d)``, diag ``(k, d)``,
        spherical ``(k,)``.
    covariance_type : "full" | "tied" | "diag" | "spherical".
    n_samples : total sample weight (number of rows when unweighted).
    data_variances : ``(d,)`` per-feature variance of the data, in the covariances' units, or
        the data's full ``(d, d)`` covariance: full and tied covariances are then judged by
        their generalised eigenvalues against it (affine-invariant), the other types against
        its diagonal.
    reg_covar : the regularisation added to the covariances' diagonal, in the covariances'
        units: a scalar or a ``(d,)`` array (an engine that works in scaled units passes
        ``reg_covar * scale**2``).

    null_space : optional ``(d, r)`` orthonormal directions, in the data's standardised
        coordinates ``x_j / sqrt(data_variances[j])``, along which the data themselves have no
        variance (exact linear dependence among columns, from
        :func:`emdesk.engine._validation.linear_dependence`): full and tied covariances are
        judged on the orthogonal complement only, since every component is at the reg_covar
        floor along those directions by necessity, not by a collapse.  A constant column is
        recognised by ``data_variances[j] == 0``.
    binary_columns : 0-based columns holding only two distinct values (indicators, one-hot
        columns).  A component whose collapsed direction lies mostly along such a column sits on
        one of its two values by the nature of the column, not because values were rounded: the
        message says so and advises leaving such columns out (a Gaussian mixture does not model
        them).  ``column_names`` (optional) names columns in that message.

    Issues are ordered by component, then by kind as in ``ISSUE_KINDS``.  For a tied
    covariance, a problem of the shared covariance is reported for every component.
    """
    if covariance_type not in _COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {', '.join(_COVARIANCE_TYPES)}; got {covariance_type!r}."
        )
    weights = np.asarray(weights, dtype=float).reshape(-1)
    k = weights.shape[0]
    cov = np.asarray(covariances, dtype=float)
    dv = np.asarray(data_variances, dtype=float)
    data_cov = None
    if dv.ndim == 2:
        data_cov = dv
        dv = np.diagonal(dv)
    dv = dv.reshape(-1)
    d = dv.shape[0]
    reg = np.broadcast_to(np.asarray(reg_covar, dtype=float), (d,)).astype(float)
    reg = np.where(np.isfinite(reg) & (reg > 0), reg, 0.0)

    expected = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]
    if cov.shape != expected:
        raise ValueError(
            f"{covariance_type} covariances must have shape {expected} for {k} components "
            f"and {d} features; got {cov.shape}."
        )

    # A feature with no spread (constant column) gives no scale to compare with: use the
    # regularisation itself (so a component at the floor there counts as relative 1).
    tiny = np.finfo(float).tiny
    has_spread = np.isfinite(dv) & (dv > 0)
    scale = np.where(has_spread, dv, np.maximum(reg, tiny))
    scale = np.maximum(scale, tiny)
    rel_reg = float(np.max(reg[has_spread] / scale[has_spread])) if np.any(has_spread) else 0.0
    floor = max(VARIANCE_FLOOR_RELATIVE, FLOOR_FACTOR * rel_reg)

    # Per "covariance block" (k blocks, or 1 for tied): smallest relative variance,
    # condition number and a broken flag.
    if covariance_type in ("full", "tied"):
        blocks = _as_full(cov, covariance_type, k, d)
        finite = np.all(np.isfinite(blocks), axis=(1, 2))
        inv_sd = 1.0 / np.sqrt(scale)
        std_blocks = blocks * inv_sd[None, :, None] * inv_sd[None, None, :]
        std_blocks = np.where(finite[:, None, None], std_blocks, 0.0)
        # Symmetrise before eigvalsh, which reads one triangle only.
        std_blocks = 0.5 * (std_blocks + np.swapaxes(std_blocks, 1, 2))
        Q = None
        if null_space is not None and np.size(null_space) and d:
            N = np.asarray(null_space, dtype=float).reshape(d, -1)
            U = np.linalg.svd(N, full_matrices=True)[0]
            Q = U[:, N.shape[1]:]
        if data_cov is not None and d:
            # generalised eigenvalues against the data's covariance (affine-invariant)
            dc = np.where(np.isfinite(data_cov), data_cov, 0.0) * inv_sd[:, None] * inv_sd[None, :]
            dc[~has_spread, :] = 0.0
            dc[:, ~has_spread] = 0.0
            T = _whitening(dc, Q)
        else:
            T = Q
        if T is not None:
            # T' S_k T as two matrix products (k d^3); the three-operand einsum ran unoptimised
            # loops of k d^4: 130 ms per snapshot at d=64, k=8, a quarter of an EM iteration
            std_blocks = np.matmul(np.matmul(T.T, std_blocks), T)
        if std_blocks.shape[-1]:
            eig, vecs = np.linalg.eigh(std_blocks)
            low = vecs[:, :, 0]  # direction of the smallest variance, per block
            if T is not None:
                low = low @ T.T
            low_col = np.argmax(np.abs(low), axis=1)
            low_share = np.max(low * low, axis=1) / np.maximum(np.sum(low * low, axis=1), 1e-300)
        else:
            eig = np.ones((len(blocks), 1))
            low_col, low_share = np.zeros(len(blocks), dtype=int), np.zeros(len(blocks))
        lam_min = eig[:, 0]
        lam_max = eig[:, -1]
    elif covariance_type == "diag":
        finite = np.all(np.isfinite(cov), axis=1)
        rel = np.where(np.isfinite(cov), cov, 0.0) / scale[None, :]
        lam_min = rel.min(axis=1) if d else np.ones(k)
        low_col = np.argmin(rel, axis=1) if d else np.zeros(k, dtype=int)
        low_share = np.ones(k)
        lam_max = rel.max(axis=1) if d else np.ones(k)
    else:  # spherical: one variance in every direction; compare it with the data's
        # average per-feature variance (trace / d), the only scale a spherical model sees.
        finite = np.isfinite(cov)
        mean_scale = float(np.mean(scale)) if d else 1.0
        rel = np.where(finite, cov, 0.0) / mean_scale
        lam_min = rel
        lam_max = rel
        low_col, low_share = np.zeros(k, dtype=int), np.zeros(k)
        floor = max(VARIANCE_FLOOR_RELATIVE, FLOOR_FACTOR * float(np.mean(reg)) / mean_scale)
        if not np.any(has_spread):
            floor = VARIANCE_FLOOR_RELATIVE

    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(lam_min > 0, lam_max / np.where(lam_min > 0, lam_min, 1.0), np.inf)

    shared = covariance_type == "tied"
    need = points_needed(covariance_type, d)
    issues: list[ComponentIssue] = []
    n_total = float(n_samples)
    for i in range(k):
        b = 0 if shared else i
        who = "The covariance shared by all components" if shared else f"Component {i + 1}"
        if not finite[b]:
            block_issue = ComponentIssue(
                i,
                "ill_conditioned",
                f"{who} has non-finite variances: the fit broke down numerically, "
                "so this solution cannot be used.",
            )
            floor_issue = None
        elif lam_min[b] < floor:
            ratio = max(float(lam_min[b]), 0.0)
            binary = set(int(j) for j in binary_columns)
            if int(low_col[b]) in binary and low_share[b] > 0.5:
                j = int(low_col[b])
                name = (f"column {j + 1} ({column_names[j]!r})" if column_names is not None
                        and j < len(column_names) else f"column {j + 1}")
                text = (f"{who} sits on a single value of {name}, which holds only two values (an "
                        "indicator, e.g. a one-hot column): its variance there is just reg_covar, "
                        "so its likelihood is inflated by the column's nature, not by the data. A "
                        "Gaussian mixture does not model indicator columns: leave them out (fit "
                        "the numeric columns, or one mixture per category).")
            elif ratio >= REG_DOMINATES:  # the floor is high because reg_covar is large for these data
                text = (f"{who} is shaped by reg_covar rather than by the data: reg_covar is large "
                        "next to the data's own variance, so every variance is held near it. Lower "
                        "reg_covar (it is in the data's units).")
            else:
                text = (f"{who} has collapsed: its variance in one direction is only {ratio:.1e} "
                        "times the data's own there, at the reg_covar floor, so it sits on a few "
                        "repeated (often rounded) values and its high likelihood is spurious.")
            floor_issue = ComponentIssue(i, "variance_floor", text)
            block_issue = None
        elif lam_min[b] <= 0 or cond[b] > CONDITION_MAX:
            floor_issue = None
            block_issue = ComponentIssue(
                i,
                "ill_conditioned",
                f"{who} has a numerically singular covariance (condition number "
                f"{float(cond[b]):.1e} in the data's standardised units), so its shape "
                "cannot be trusted.",
            )
        else:
            floor_issue = block_issue = None

        if floor_issue is not None:
            issues.append(floor_issue)
        n_eff = float(weights[i]) * n_total
        if not np.isfinite(n_eff) or n_eff < need:
            # Rounded down, so 1.9999 points never read as "2 points, fewer than the 2 ... needs".
            shown = (f"{math.floor(n_eff * 100) / 100:g}" if np.isfinite(n_eff)
                     else "an undefined number of")
            what = {"full": f"a {d}-dimensional covariance needs",
                    "diag": "its variances need", "spherical": "its variance needs",
                    "tied": "its mean needs"}.get(covariance_type, "its covariance needs")
            issues.append(
                ComponentIssue(
                    i,
                    "too_few_points",
                    f"Component {i + 1} is supported by only {shown} point{'' if shown == '1' else 's'}, "
                    f"fewer than the {need} {what}, so its "
                    f"{'mean' if covariance_type == 'tied' else 'shape'} is not estimable.",
                )
            )
        if block_issue is not None:
            issues.append(block_issue)
    return tuple(issues)


def format_issues(issues) -> str:
    """A short human summary, e.g. ``"variance floor: components 2, 4; too few points: component 4"``."""
    by_kind: dict[str, list[int]] = {}
    for issue in issues:
        comps = by_kind.setdefault(issue.kind, [])
        if issue.component + 1 not in comps:
            comps.append(issue.component + 1)
    parts = []
    # the mixtures' kinds first, then any other (an HMM's "dead_transition_row", by state; before, those were
    # left out: "degenerate components ()" in the window, "none" in the restarts view)
    for kind in list(ISSUE_KINDS) + [k for k in by_kind if k not in ISSUE_KINDS]:
        if kind in by_kind:
            comps = by_kind[kind]
            noun = "state" if kind in ("dead_transition_row", "empty_state") else "component"
            word = noun if len(comps) == 1 else noun + "s"
            parts.append(f"{kind.replace('_', ' ')}: {word} {', '.join(map(str, comps))}")
    return "; ".join(parts)


def advice(issues) -> str:
    """What to do about ``issues``, one sentence: the general remedy for collapsed or nearly empty
    components, or the specific one when every collapse is onto an indicator column's value or is
    caused by a reg_covar large for the data (the issues' own messages say which)."""
    floors = [i for i in issues if i.kind == "variance_floor"]
    others = [i for i in issues if i.kind != "variance_floor"]
    if floors and not others:
        if all("indicator" in i.message for i in floors):
            return ("The collapses are onto the values of indicator (two-valued) columns, which a "
                    "Gaussian mixture does not model: leave those columns out.")
        if all("shaped by reg_covar" in i.message for i in floors):
            return "reg_covar is large for these data: lower it (it is in the data's units)."
    return "Try fewer components, a larger reg_covar or a constrained covariance_type."
