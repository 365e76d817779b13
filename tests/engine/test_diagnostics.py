"""Tests for emdesk.engine.diagnostics (degenerate-solution detection, issue 7)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emdesk.engine.diagnostics import (
    CONDITION_MAX,
    ComponentIssue,
    DegenerateSolutionWarning,
    ISSUE_KINDS,
    VARIANCE_FLOOR_RELATIVE,
    diagnose,
    format_issues,
)

DV = np.array([4.0, 9.0])  # data variances of a 2-d data set
REG = 1e-6


def kinds(issues):
    return [(i.component, i.kind) for i in issues]


def test_sound_full_mixture_has_no_issues():
    cov = np.array([[[1.0, 0.3], [0.3, 2.0]], [[0.5, 0.0], [0.0, 0.5]]])
    assert diagnose([0.6, 0.4], cov, "full", 500, DV, REG) == ()


def test_full_component_collapsed_onto_tied_values_is_flagged():
    # Component 1 sits on points that share one y value: its y variance is only reg_covar.
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    pts = np.column_stack([x, np.full(40, 70.0)])
    collapsed = np.cov(pts.T, bias=True) + REG * np.eye(2)
    cov = np.stack([np.diag([1.0, 2.0]), collapsed])
    issues = diagnose([0.9, 0.1], cov, "full", 400, DV, REG)
    assert kinds(issues) == [(1, "variance_floor")]
    assert isinstance(issues[0], ComponentIssue)
    assert "Component 2" in issues[0].message and "collapsed" in issues[0].message


def test_full_collapse_along_an_oblique_direction_is_found():
    # Points on the line y = 2x: no axis-aligned variance is small, one direction is.
    t = np.linspace(-1, 1, 30)
    pts = np.column_stack([t, 2 * t])
    collapsed = np.cov(pts.T, bias=True) + REG * np.eye(2)
    assert collapsed[0, 0] > 0.1 and collapsed[1, 1] > 0.1
    cov = np.stack([np.eye(2), collapsed])
    assert kinds(diagnose([0.5, 0.5], cov, "full", 1000, DV, REG)) == [(1, "variance_floor")]


def test_tight_but_genuine_cluster_is_not_flagged():
    # Standard deviation 3 % of the data's in each direction: narrow, but far above the floor.
    cov = np.stack([np.diag(DV * 0.03**2), np.diag(DV)])
    assert diagnose([0.5, 0.5], cov, "full", 1000, DV, REG) == ()


def test_diag_and_spherical():
    diag = np.array([[1.0, 1.0], [1.0, 1e-6]])
    assert kinds(diagnose([0.5, 0.5], diag, "diag", 100, DV, REG)) == [(1, "variance_floor")]
    sph = np.array([1.0, 1e-6, 2.0])
    assert kinds(diagnose([0.3, 0.3, 0.4], sph, "spherical", 100, DV, REG)) == [(1, "variance_floor")]
    assert diagnose([0.5, 0.5], np.array([1.0, 0.5]), "spherical", 100, DV, REG) == ()


def test_tied_problem_is_reported_for_every_component():
    shared = np.array([[1.0, 2.0], [2.0, 4.0 + 1e-6]])  # rank one plus the floor
    issues = diagnose([0.5, 0.5], shared, "tied", 100, DV, REG)
    assert kinds(issues) == [(0, "variance_floor"), (1, "variance_floor")]
    assert "shared" in issues[0].message
    assert diagnose([0.5, 0.5], np.eye(2), "tied", 100, DV, REG) == ()


def test_too_few_points_uses_d_plus_one():
    cov = np.stack([np.eye(2)] * 3)
    # d = 2: 3 points are enough, 2.9 are not.
    weights = np.array([2.9, 3.0, 94.1]) / 100
    issues = diagnose(weights, cov, "full", 100, DV, REG)
    assert kinds(issues) == [(0, "too_few_points")]
    assert "2.9" in issues[0].message and "3" in issues[0].message


def test_collapsed_and_tiny_component_reports_both_in_kind_order():
    cov = np.stack([np.eye(2), np.diag([1.0, 1e-6])])
    issues = diagnose([0.99, 0.01], cov, "full", 100, DV, REG)
    assert kinds(issues) == [(1, "variance_floor"), (1, "too_few_points")]
    assert [i.kind for i in issues] == sorted((i.kind for i in issues), key=ISSUE_KINDS.index)


def test_non_finite_and_not_positive_definite_are_ill_conditioned():
    cov = np.stack([np.full((2, 2), np.nan), np.array([[1.0, 3.0], [3.0, 1.0]]), np.eye(2)])
    issues = diagnose([0.3, 0.3, 0.4], cov, "full", 1000, DV, REG)
    # The indefinite one has a negative eigenvalue: below the floor, so reported as a collapse.
    assert kinds(issues) == [(0, "ill_conditioned"), (1, "variance_floor")]
    assert "non-finite" in issues[0].message


def test_condition_number_test_when_the_floor_does_not_fire():
    # Huge variance in one direction, ordinary in the other: only the condition number is extreme.
    big = VARIANCE_FLOOR_RELATIVE * 10 * CONDITION_MAX * 10
    cov = np.stack([np.eye(2), np.diag([big * DV[0], VARIANCE_FLOOR_RELATIVE * 10 * DV[1]])])
    assert kinds(diagnose([0.5, 0.5], cov, "full", 1000, DV, REG)) == [(1, "ill_conditioned")]


def test_raising_reg_covar_raises_the_floor():
    cov = np.stack([np.eye(2), np.diag([1.0, 5e-3])])  # relative 5.6e-4 in y: fine at reg 1e-6
    assert diagnose([0.5, 0.5], cov, "full", 1000, DV, 1e-6) == ()
    # With reg_covar = 4e-3 (relative 4.4e-4 in y) that variance is mostly regularisation.
    assert kinds(diagnose([0.5, 0.5], cov, "full", 1000, DV, 4e-3)) == [(1, "variance_floor")]
    # A per-feature regularisation (an engine working in scaled units) is accepted.
    assert kinds(diagnose([0.5, 0.5], cov, "full", 1000, DV, np.array([1e-6, 4e-3]))) == [
        (1, "variance_floor")
    ]


def test_constant_feature_is_not_a_collapse_of_every_component():
    dv = np.array([4.0, 0.0])
    cov = np.stack([np.diag([1.0, REG]), np.diag([2.0, REG])])
    assert diagnose([0.5, 0.5], cov, "full", 100, dv, REG) == ()


def test_full_data_covariance_is_accepted():
    cov = np.stack([np.eye(2), np.diag([1.0, 1e-6])])
    issues = diagnose([0.5, 0.5], cov, "full", 100, np.diag(DV), REG)
    assert kinds(issues) == [(1, "variance_floor")]


@pytest.mark.parametrize(
    "cov_type, cov",
    [("full", np.ones((3, 2, 2))), ("tied", np.eye(3)), ("diag", np.ones((2, 3))), ("spherical", np.ones(3)),
     ("cubic", np.eye(2))],
)
def test_bad_shapes_and_types_raise_value_error(cov_type, cov):
    with pytest.raises(ValueError, match="covariance"):
        diagnose([0.5, 0.5], cov, cov_type, 100, DV, REG)


def test_warning_class_and_summary():
    assert issubclass(DegenerateSolutionWarning, UserWarning)
    cov = np.stack([np.eye(2), np.diag([1.0, 1e-6]), np.diag([1e-6, 1.0])])
    issues = diagnose([0.49, 0.5, 0.01], cov, "full", 100, DV, REG)
    assert format_issues(issues) == "variance floor: components 2, 3; too few points: component 3"
    assert format_issues(()) == ""


@settings(max_examples=40, deadline=None)
@given(
    log_scale=st.floats(-6, 6),
    collapsed=st.booleans(),
    cov_type=st.sampled_from(["full", "diag", "spherical", "tied"]),
)
def test_diagnosis_does_not_depend_on_units(log_scale, collapsed, cov_type):
    """Rescaling the data (and with it covariances, data variances and reg_covar) changes nothing."""
    small = 1e-7 if collapsed else 0.2
    base = {
        "full": np.stack([np.eye(2), np.array([[1.0, 0.0], [0.0, small]])]),
        "tied": np.array([[1.0, 0.0], [0.0, small]]),
        "diag": np.array([[1.0, 1.0], [1.0, small]]),
        "spherical": np.array([1.0, small]),
    }[cov_type]
    dv = np.array([1.0, 1.0])
    s2 = 10.0**log_scale
    ref = diagnose([0.5, 0.5], base, cov_type, 200, dv, 1e-8)
    scaled = diagnose([0.5, 0.5], base * s2, cov_type, 200, dv * s2, 1e-8 * s2)
    assert kinds(ref) == kinds(scaled)
    assert bool(ref) == collapsed


def test_too_few_points_message_never_rounds_up_to_the_threshold():
    cov = np.stack([np.eye(2)] * 2)
    issues = diagnose(np.array([2.99996, 97.00004]) / 100, cov, "full", 100, DV, REG)
    assert kinds(issues) == [(0, "too_few_points")]
    assert "only 2.99 points, fewer than the 3" in issues[0].message
    one = diagnose(np.array([1.0, 99.0]) / 100, cov, "full", 100, DV, REG)
    assert "only 1 point, fewer" in one[0].message


def test_a_floor_raised_by_a_huge_reg_covar_says_to_lower_it():
    cov = np.stack([np.diag(DV * 0.5)] * 2)  # half the data's variance: not a collapse onto tied values
    issues = diagnose([0.5, 0.5], cov, "full", 1000, DV, 10.0)
    assert kinds(issues) == [(0, "variance_floor"), (1, "variance_floor")]
    assert all("Lower reg_covar" in i.message and "collapsed" not in i.message for i in issues)
    # a genuine collapse keeps the collapse message
    tiny = diagnose([0.5, 0.5], np.stack([np.eye(2), np.diag([1.0, 1e-7])]), "full", 1000, DV, REG)
    assert "has collapsed" in tiny[0].message


def test_format_issues_names_an_hmms_states_too():
    # Found in the window: an HMM of one-row sequences had two states never left; the message read
    # "The fit has degenerate components ()" and the restarts view "none" (format_issues knew the mixtures'
    # kinds only).
    import warnings

    import numpy as np

    from emdesk.engine import GaussianHMM
    from emdesk.engine.diagnostics import ComponentIssue, format_issues

    issues = [ComponentIssue(1, "dead_transition_row", "m"), ComponentIssue(0, "dead_transition_row", "m"),
              ComponentIssue(2, "variance_floor", "m"), ComponentIssue(2, "empty_state", "m")]
    assert format_issues(issues) == ("variance floor: component 3; dead transition row: states 2, 1; "
                                     "empty state: state 3")
    # a state seen only at the ends of sequences (sequences of two rows, the second far off): never followed
    rng = np.random.default_rng(1)
    X = (np.tile([0.0, 10.0], 15) + rng.normal(scale=0.5, size=30))[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = GaussianHMM(2, random_state=0, max_iter=5).fit(X, [2] * 15)
    assert m.degeneracies_ and format_issues(m.degeneracies_).startswith("dead transition row: state")
