"""mclust's conjugate prior (emdesk.engine.prior) against R.

Literals produced with R 4.2.2 and mclust 6.0.0 (Debian r-cran-mclust) on the fixed data and
responsibilities of test_covariance_models.py (X_REF, Z_REF; E and V on its first column):

    ctrl <- emControl(tol = c(1e-5, 1e-14), itmax = c(.Machine$integer.max, 100000))
    ms <- mstep(modelName = m, data = X, z = Z, prior = priorControl(), control = ctrl)
    as.vector(ms$parameters$mean); as.vector(ms$parameters$variance$sigma)   # (sigmasq in 1-D)
    defaultPrior(X, G = 3, modelName = "VVV")   # also "VII", and X[, 1] with "V"
"""

import numpy as np
import pytest
from test_covariance_models import X_REF, Z_REF

from emdesk.engine import covariance_models as cm
from emdesk.engine.prior import PRIOR_MODELS, ConjugatePrior, default_prior, map_mstep, map_mstep_from_stats

MCLUST_MAP = {  # model: (means as.vector (p x G column-major), sigma as.vector (p x p x G)); 1-D: sigmasq
    "EII": (
        [
            0.23235062729476932, 0.55683939491129397, 0.087686496248799276, 2.5090553450741022,
            1.1717245524195685, -0.21632292996145766, 0.075158229488813719, 1.8042210789056747,
            1.4143512654925112
        ],
        [
            2.2867760943873727, 0, 0, 0, 2.2867760943873727, 0, 0, 0, 2.2867760943873727,
            2.2867760943873727, 0, 0, 0, 2.2867760943873727, 0, 0, 0, 2.2867760943873727,
            2.2867760943873727, 0, 0, 0, 2.2867760943873727, 0, 0, 0, 2.2867760943873727
        ],
    ),
    "VII": (
        [
            0.23235062729476932, 0.55683939491129397, 0.087686496248799276, 2.5090553450741022,
            1.1717245524195685, -0.21632292996145766, 0.075158229488813719, 1.8042210789056747,
            1.4143512654925112
        ],
        [
            1.4799695537944433, 0, 0, 0, 1.4799695537944433, 0, 0, 0, 1.4799695537944433,
            2.614477338745623, 0, 0, 0, 2.614477338745623, 0, 0, 0, 2.614477338745623,
            2.216570573027056, 0, 0, 0, 2.216570573027056, 0, 0, 0, 2.216570573027056
        ],
    ),
    "EEI": (
        [
            0.23183874927415851, 0.55635373284625378, 0.087403148865482255, 2.5101157425735945,
            1.1716937844312183, -0.2167855920659737, 0.074640637411546515, 1.8045767992384047,
            1.4149219607438892
        ],
        [
            3.3255110394423477, 0, 0, 0, 1.7586044225686368, 0, 0, 0, 1.2808446149946722,
            3.3255110394423477, 0, 0, 0, 1.7586044225686368, 0, 0, 0, 1.2808446149946722,
            3.3255110394423477, 0, 0, 0, 1.7586044225686368, 0, 0, 0, 1.2808446149946722
        ],
    ),
    "VEI": (
        [
            0.23235062729476932, 0.55683939491129397, 0.087686496248799276, 2.5090553450741022,
            1.1717245524195685, -0.21632292996145766, 0.075158229488813719, 1.8042210789056747,
            1.4143512654925112
        ],
        [
            2.4523282459763753, 0, 0, 0, 1.3519903804450006, 0, 0, 0, 0.95728845625384629,
            4.0481711300550485, 0, 0, 0, 2.2317927606997507, 0, 0, 0, 1.5802401240943493,
            3.8767659507326591, 0, 0, 0, 2.1372955603422779, 0, 0, 0, 1.5133305658911755
        ],
    ),
    "EVI": (
        [
            0.23235062729476932, 0.55683939491129397, 0.087686496248799276, 2.5090553450741022,
            1.1717245524195685, -0.21632292996145766, 0.075158229488813719, 1.8042210789056747,
            1.4143512654925112
        ],
        [
            3.3268394653912821, 0, 0, 0, 2.0814572133909377, 0, 0, 0, 1.1187007013908865,
            4.3208634364877012, 0, 0, 0, 1.2958684216698599, 0, 0, 0, 1.3835083854984875,
            2.5280687250627674, 0, 0, 0, 2.1643343366662928, 0, 0, 0, 1.4157938372865146
        ],
    ),
    "VVI": (
        [
            0.23235062729476932, 0.55683939491129397, 0.087686496248799276, 2.5090553450741022,
            1.1717245524195685, -0.21632292996145766, 0.075158229488813719, 1.8042210789056747,
            1.4143512654925112
        ],
        [
            1.8492446079179412, 0, 0, 0, 1.1569910626939084, 0, 0, 0, 0.6218368098136654,
            3.9405589715510247, 0, 0, 0, 1.181811461996056, 0, 0, 0, 1.2617377199784261,
            2.281524180102394, 0, 0, 0, 1.9532622171129552, 0, 0, 0, 1.2777215436375997
        ],
    ),
    "EEE": (
        [
            0.23235062729476932, 0.55683939491129397, 0.087686496248799276, 2.5090553450741022,
            1.1717245524195685, -0.21632292996145766, 0.075158229488813719, 1.8042210789056747,
            1.4143512654925112
        ],
        [
            3.2263681733595755, -0.063253761430395503, -1.1783460815383731,
            -0.063253761430395503, 1.6894590852023224, 0.62310890434363186, -1.1783460815383731,
            0.62310890434363186, 1.2257450529341107, 3.2263681733595755, -0.063253761430395503,
            -1.1783460815383731, -0.063253761430395503, 1.6894590852023224, 0.62310890434363186,
            -1.1783460815383731, 0.62310890434363186, 1.2257450529341107, 3.2263681733595755,
            -0.063253761430395503, -1.1783460815383731, -0.063253761430395503,
            1.6894590852023224, 0.62310890434363186, -1.1783460815383731, 0.62310890434363186,
            1.2257450529341107
        ],
    ),
    "EEV": (
        [
            0.23183874927415851, 0.55635373284625378, 0.087403148865482255, 2.5101157425735945,
            1.1716937844312183, -0.2167855920659737, 0.074640637411546515, 1.8045767992384047,
            1.4149219607438892
        ],
        [
            3.9491287007466296, 0.58889332721425491, -0.9661233869771042, 0.58889332721425491,
            1.6847919872497479, 0.43500256009387372, -0.9661233869771042, 0.43500256009387372,
            1.0244622365247251, 3.8210620266723039, 0.15280212167781479, -1.2054991150100869,
            0.15280212167781479, 1.4884025290196201, 0.64571947787490125, -1.2054991150100869,
            0.64571947787490125, 1.3489183688291795, 2.8494733939644945, -0.63017892110742457,
            -1.4779049038264438, -0.63017892110742457, 2.3115537889238618, 0.88175615951393504,
            -1.4779049038264438, 0.88175615951393504, 1.497355741632753
        ],
    ),
    "VEV": (
        [
            0.23235062729476932, 0.55683939491129397, 0.087686496248799276, 2.5090553450741022,
            1.1717245524195685, -0.21632292996145766, 0.075158229488813719, 1.8042210789056747,
            1.4143512654925112
        ],
        [
            3.4669321894618634, 0.51505305380420097, -0.84776032840881566, 0.51505305380420097,
            1.5350622528449502, 0.41024522520954171, -0.84776032840881566, 0.41024522520954171,
            0.91754249789752751, 5.1293609462164591, 0.22557642787098994, -1.6026884063189495,
            0.22557642787098994, 2.0749290728369973, 0.90775171202186611, -1.6026884063189495,
            0.90775171202186611, 1.8370169945093724, 3.6891007854250057, -0.76368206142858053,
            -1.8981049214883223, -0.76368206142858053, 3.045783980384464, 1.1288696034834711,
            -1.8981049214883223, 1.1288696034834711, 1.9273887130543452
        ],
    ),
    "VVV": (
        [
            0.23235062729476932, 0.55683939491129397, 0.087686496248799276, 2.5090553450741022,
            1.1717245524195685, -0.21632292996145766, 0.075158229488813719, 1.8042210789056747,
            1.4143512654925112
        ],
        [
            1.7349908831341323, 0.2466305940494157, -0.42617447604564168, 0.2466305940494157,
            1.0410330112758033, 0.34664178428520293, -0.42617447604564168, 0.34664178428520293,
            0.54464864105283639, 3.6643029340848896, 0.067485427519009614, -1.2436315151761088,
            0.067485427519009614, 1.0699040533599735, 0.46784081227859409, -1.2436315151761088,
            0.46784081227859409, 1.1371811090972836, 2.1470855864100962, -0.42474385758287886,
            -1.0624678563900884, -0.42474385758287886, 1.7898253475742956, 0.63167005597175252,
            -1.0624678563900884, 0.63167005597175252, 1.1594283245376413
        ],
    ),
    "E": (
        [
            0.23235062729476935, 2.5090553450741022, 0.075158229488813719
        ],
        [
            3.43227222371091
        ],
    ),
    "V": (
        [
            0.23235062729476935, 2.5090553450741022, 0.075158229488813719
        ],
        [
            1.9873464425972678, 4.270183156997585, 2.4403397344212596
        ],
    ),
}
MCLUST_DEFAULT_PRIOR = {  # defaultPrior(X, G = 3, modelName): shrinkage, mean, dof, as.vector(scale)
    "VVV": (0.01, [0.92875555555555556, 1.2175777777777779, 0.47317777777777775], 5,
        [2.5915085912599247, -0.072224543977815858, -1.0053451061654692, -0.072224543977815858, 1.1667710410419396, 0.52492184608312054, -1.0053451061654692, 0.52492184608312054, 1.0116217384181858]),
    "VII": (0.01, [0.92875555555555556, 1.2175777777777779, 0.47317777777777775], 5,
        [1.5899671235733501]),
    "V": (0.01, [0.92875555555555556], 3,
        [0.59895056644219979]),
}


@pytest.mark.parametrize("model", PRIOR_MODELS)
def test_map_mstep_agrees_with_mclust(model):
    mu_ref, sig_ref = (np.array(v) for v in MCLUST_MAP[model])
    X = X_REF[:, :1] if model in ("E", "V") else X_REF
    d = X.shape[1]
    prior = default_prior(X, 3, model)
    weights, means, cov = map_mstep(model, X, Z_REF, prior)
    # mclust reports sum(z_k) / n; these rows of z sum to 1 only to 4 decimals, ours sum to 1
    np.testing.assert_allclose(weights, Z_REF.sum(0) / Z_REF.sum(), rtol=1e-12)
    np.testing.assert_allclose(means, mu_ref.reshape(3, d), rtol=1e-9, atol=1e-12)
    if d == 1:
        np.testing.assert_allclose(cov[:, 0, 0], np.broadcast_to(sig_ref, (3,)), rtol=1e-9)
    else:
        ref = np.transpose(sig_ref.reshape(3, d, d), (0, 2, 1))
        np.testing.assert_allclose(cov, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def test_default_prior_agrees_with_mclust():
    for model, X in (("VVV", X_REF), ("VII", X_REF), ("V", X_REF[:, 0])):
        shrink, mean, dof, scale = MCLUST_DEFAULT_PRIOR[model]
        p = default_prior(X, 3, model)
        assert p.shrinkage == shrink and p.dof == dof
        np.testing.assert_allclose(p.mean, mean, rtol=1e-14)
        np.testing.assert_allclose(np.ravel(p.scale), scale, rtol=1e-12)


def test_prior_shrinks_and_keeps_a_collapsing_component_finite():
    # a component on one repeated point: ML has no finite maximum, MAP has
    X = np.vstack([np.random.default_rng(0).normal(size=(40, 2)), np.tile([[3.0, 3.0]], (3, 1))])
    R = np.zeros((43, 2))
    R[:40, 0] = 1
    R[40:, 1] = 1
    nk, _, W = cm.scatter_matrices(X, R)
    with pytest.raises(cm.DegenerateMStep):
        cm.mstep_covariances("VVV", nk, W)
    prior = default_prior(X, 2, "VVV")
    _, means, cov = map_mstep("VVV", X, R, prior)
    assert np.all(np.linalg.eigvalsh(cov[1]) > 0)
    # the mean is pulled toward the prior mean by shrinkage / (n_k + shrinkage)
    expect = (3 * np.array([3.0, 3.0]) + 0.01 * X.mean(0)) / 3.01
    np.testing.assert_allclose(means[1], expect, rtol=1e-12)
    # zero shrinkage leaves the means alone
    p0 = ConjugatePrior(0.0, prior.mean, prior.dof, prior.scale)
    _, means0, _ = map_mstep("VVV", X, R, p0)
    np.testing.assert_allclose(means0[1], [3.0, 3.0], rtol=1e-12)


def test_models_without_a_prior_and_bad_input():
    for model in ("VEE", "EVE", "VVE", "EVV"):
        with pytest.raises(ValueError, match="no conjugate prior"):
            default_prior(X_REF, 3, model)
    p = default_prior(X_REF, 3, "VVV")
    with pytest.raises(ValueError, match="no conjugate prior"):
        map_mstep("EVV", X_REF, Z_REF, p)
    with pytest.raises(ValueError, match="shrinkage"):
        default_prior(X_REF, 3, "VVV", shrinkage=-1.0)
    with pytest.raises(ValueError, match="2 rows"):
        default_prior(X_REF[:1], 3, "VVV")
    # keywords override as priorControl(...) does; scikit-learn names map to mclust's
    q = default_prior(X_REF, 3, "full", dof=10, shrinkage=0.5)
    assert q.dof == 10 and q.shrinkage == 0.5


def test_prior_in_rescaled_units_via_a_per_feature_scale():
    # the engine fits in standardised units: a scalar prior scale in the user's units becomes
    # scale / s_j^2 per feature, and the MAP estimate transforms back exactly
    s = np.array([0.5, 4.0, 20.0])
    nk, xbar, W = cm.scatter_matrices(X_REF, Z_REF)
    Ws = W / np.outer(s, s)
    for model in ("VVI", "EVI", "VEI", "EEI", "VVV", "EEE"):  # the models closed under rescaling
        p = default_prior(X_REF, 3, model)
        scale_z = p.scale / (s * s) if np.ndim(p.scale) == 0 else p.scale / np.outer(s, s)
        pz = ConjugatePrior(p.shrinkage, p.mean / s, p.dof, scale_z)
        means, cov = map_mstep_from_stats(model, nk, xbar, W, p, n_rows=len(X_REF))
        means_z, cov_z = map_mstep_from_stats(model, nk, xbar / s, Ws, pz, n_rows=len(X_REF))
        np.testing.assert_allclose(means_z * s, means, rtol=1e-12)
        np.testing.assert_allclose(cov_z * np.outer(s, s), cov, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("model", PRIOR_MODELS)
def test_engine_seam_in_standardised_units(model):
    from emdesk.engine.prior import map_engine_mstep, prior_to_units

    X = X_REF[:, :1] if model in ("E", "V") else X_REF
    d = X.shape[1]
    st_ = cm.storage_type(model, d)
    shift = X.mean(0)
    s = X.std(0) if st_ != "spherical" else np.full(d, X.std(0)[0])
    Z = (X - shift) / s
    nk, zbar, W = cm.scatter_matrices(Z, Z_REF)
    reg = 1e-6
    if st_ == "full":
        cov = W / nk[:, None, None] + reg * np.eye(d)
    elif st_ == "tied":
        cov = W.sum(0) / nk.sum() + reg * np.eye(d)
    elif st_ == "diag":
        cov = np.einsum("kii->ki", W) / nk[:, None] + reg
    else:
        cov = np.trace(W, axis1=1, axis2=2) / (d * nk) + reg
    p = default_prior(X, 3, model)
    mz, cz = map_engine_mstep(model, nk, zbar, cov, reg, d, prior_to_units(p, shift, s), n_rows=len(X))
    _, mu, cu = map_mstep(model, X, Z_REF, p)
    np.testing.assert_allclose(mz * s + shift, mu, rtol=1e-9, atol=1e-12)
    full_z = {"full": lambda c: c, "tied": lambda c: np.broadcast_to(c, (3, d, d)),
              "diag": lambda c: c[:, :, None] * np.eye(d), "spherical": lambda c: c[:, None, None] * np.eye(d)}[st_](cz)
    if model in ("EEV", "VEV"):  # not closed under rescaling the features: compare in z units only
        _, _, cz_direct = map_mstep(model, Z, Z_REF, prior_to_units(p, shift, s))
        np.testing.assert_allclose(full_z, cz_direct, rtol=1e-9, atol=1e-12)
        return
    np.testing.assert_allclose(full_z * np.outer(s, s), cu, rtol=1e-9, atol=1e-12)
