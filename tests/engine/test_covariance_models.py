"""The 14 covariance models (emdesk.engine.covariance_models): constraints, optimality, mclust.

(a) each M-step result satisfies its model's constraint, checked from the covariances alone;
(b) it maximises the expected complete-data log-likelihood among the model's covariances: no
    random feasible perturbation (volumes, shapes, orientations moved as the letters allow)
    improves it;
(c) it agrees with mclust's ``mstep`` on fixed data and responsibilities (literals below).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from emdesk.engine import covariance_models as cm

MODELS = cm.MODEL_NAMES

# Fixed data and responsibilities (generated once with numpy, seed 11) and mclust's results.
# Produced with R 4.2.2, mclust 6.0.0 (Debian r-cran-mclust), tight inner tolerance so that the
# iterative models are converged:
#   suppressMessages(library(mclust))
#   X <- as.matrix(read.csv("X.csv", header = FALSE)); Z <- as.matrix(read.csv("Z.csv", header = FALSE))
#   ctrl <- emControl(tol = c(1e-5, 1e-14), itmax = c(.Machine$integer.max, 100000))
#   fmt <- function(v) paste(sprintf("%.17g", v), collapse = ", ")
#   for (m in c("EII","VII","EEI","VEI","EVI","VVI","EEE","VEE","EVE","VVE","EEV","VEV","EVV","VVV")) {
#     ms <- mstep(modelName = m, data = X, z = Z, control = ctrl)
#     cat(sprintf('    "%s": [%s],\n', m, fmt(as.vector(ms$parameters$variance$sigma))))
#   }
#   for (m in c("E","V")) {
#     ms <- mstep(modelName = m, data = X[,1], z = Z, control = ctrl)
#     cat(sprintf('    "%s": [%s],\n', m, fmt(ms$parameters$variance$sigmasq)))
#   }
# (X.csv, Z.csv hold X_REF and Z_REF; mclust's VVE is reproduced with vve_mclust=True.)
X_REF = np.array([
    [0.714, 1.727, 0.612],
    [-0.659, -0.456, -0.264],
    [0.542, 0.168, 0.373],
    [-1.064, 1.538, -0.048],
    [0.612, -0.250, -0.190],
    [0.875, 0.764, -0.101],
    [0.190, 0.425, -0.435],
    [-1.317, 0.194, -0.335],
    [-2.327, -0.954, -0.234],
    [-1.939, -1.481, 0.018],
    [0.781, -0.456, -0.372],
    [0.744, 0.627, -0.150],
    [1.066, 0.981, -0.103],
    [-0.640, 0.422, 0.124],
    [0.457, -1.483, -0.331],
    [1.324, -0.538, -1.542],
    [4.056, 1.053, 0.367],
    [4.644, 1.971, -0.267],
    [4.911, 1.099, -0.796],
    [4.206, 0.598, -1.291],
    [2.499, 1.190, -1.214],
    [2.964, 1.157, -1.914],
    [4.197, 1.426, -0.451],
    [1.956, 1.126, 0.161],
    [2.644, 1.174, 0.764],
    [6.582, 1.646, -0.570],
    [3.930, 1.325, -2.246],
    [5.514, 1.375, -0.824],
    [5.604, 1.242, -2.003],
    [0.382, 0.075, 0.915],
    [0.099, 0.333, 2.147],
    [-0.494, 5.369, 2.548],
    [-1.451, 3.446, 1.763],
    [-1.045, 1.898, 2.249],
    [-0.860, 2.861, 1.915],
    [-1.530, 2.271, 2.580],
    [-0.847, 0.840, 3.010],
    [-0.669, 6.162, 2.209],
    [-1.012, 0.829, 2.921],
    [0.412, 1.769, 2.253],
    [-0.696, 1.754, 1.962],
    [-0.991, 3.288, 2.771],
    [-1.071, 4.378, 1.671],
    [-1.093, -0.207, 0.938],
    [-0.406, 2.115, 2.703],
])
Z_REF = np.array([
    [0.7540, 0.2346, 0.0113],
    [0.6027, 0.1826, 0.2147],
    [0.8888, 0.0141, 0.0971],
    [0.8499, 0.0539, 0.0962],
    [0.6553, 0.0955, 0.2493],
    [0.6860, 0.0210, 0.2930],
    [0.6083, 0.1413, 0.2503],
    [0.6323, 0.0391, 0.3286],
    [0.7491, 0.1737, 0.0772],
    [0.7131, 0.1958, 0.0910],
    [0.6169, 0.2568, 0.1262],
    [0.6310, 0.1543, 0.2148],
    [0.6283, 0.0014, 0.3703],
    [0.6307, 0.0669, 0.3024],
    [0.6373, 0.2881, 0.0745],
    [0.0568, 0.9312, 0.0120],
    [0.0507, 0.6023, 0.3470],
    [0.0255, 0.8666, 0.1078],
    [0.0195, 0.6086, 0.3719],
    [0.0223, 0.7391, 0.2386],
    [0.1734, 0.6199, 0.2068],
    [0.2124, 0.6870, 0.1006],
    [0.3091, 0.6240, 0.0669],
    [0.0366, 0.6600, 0.3034],
    [0.1701, 0.6604, 0.1695],
    [0.0022, 0.9150, 0.0828],
    [0.0661, 0.7969, 0.1370],
    [0.0086, 0.6780, 0.3134],
    [0.3822, 0.6177, 0.0000],
    [0.0910, 0.6066, 0.3023],
    [0.3173, 0.0717, 0.6110],
    [0.1622, 0.2219, 0.6159],
    [0.2568, 0.1361, 0.6072],
    [0.0044, 0.3028, 0.6929],
    [0.3969, 0.0020, 0.6011],
    [0.0276, 0.0610, 0.9113],
    [0.0441, 0.0610, 0.8949],
    [0.0414, 0.2121, 0.7465],
    [0.0164, 0.1647, 0.8189],
    [0.0133, 0.1982, 0.7884],
    [0.0269, 0.0473, 0.9258],
    [0.0264, 0.2470, 0.7266],
    [0.0792, 0.3050, 0.6159],
    [0.1022, 0.2278, 0.6700],
    [0.1796, 0.1119, 0.7084],
])
# mstep(...)$parameters$variance$sigma, as.vector() (column-major p x p x G); 1-D: sigmasq
MCLUST_SIGMA = {
    "EII": [
        2.557359115994009, 0, 0, 0, 2.557359115994009, 0, 0, 0, 2.557359115994009,
        2.557359115994009, 0, 0, 0, 2.557359115994009, 0, 0, 0, 2.557359115994009,
        2.557359115994009, 0, 0, 0, 2.557359115994009, 0, 0, 0, 2.557359115994009
    ],
    "VII": [
        1.8033584054278951, 0, 0, 0, 1.8033584054278951, 0, 0, 0, 1.8033584054278951,
        3.1630291349411466, 0, 0, 0, 3.1630291349411466, 0, 0, 0, 3.1630291349411466,
        2.6320551474409557, 0, 0, 0, 2.6320551474409557, 0, 0, 0, 2.6320551474409557
    ],
    "EEI": [
        4.0283634927819527, 0, 0, 0, 2.1139026705785806, 0, 0, 0, 1.5298111846214943,
        4.0283634927819527, 0, 0, 0, 2.1139026705785806, 0, 0, 0, 1.5298111846214943,
        4.0283634927819527, 0, 0, 0, 2.1139026705785806, 0, 0, 0, 1.5298111846214943
    ],
    "VEI": [
        2.7792702736700701, 0, 0, 0, 1.5004985647142148, 0, 0, 0, 1.0373465504500721,
        4.674128075110346, 0, 0, 0, 2.5235122090994135, 0, 0, 0, 1.7445912623225306,
        4.4365068124490765, 0, 0, 0, 2.3952230078127807, 0, 0, 0, 1.6559005007688665
    ],
    "EVI": [
        4.0153555413851416, 0, 0, 0, 2.4497862622846398, 0, 0, 0, 1.2397681044732045,
        5.1643730249944024, 0, 0, 0, 1.4844240386043623, 0, 0, 0, 1.5908054764953412,
        2.9688016155499009, 0, 0, 0, 2.5292966547425206, 0, 0, 0, 1.6240960600566094
    ],
    "VVI": [
        2.819419793092794, 0, 0, 0, 1.7201405468442006, 0, 0, 0, 0.87051487634669134,
        5.9475183161838059, 0, 0, 0, 1.7095277811758285, 0, 0, 0, 1.8320413074638047,
        3.2914222267041988, 0, 0, 0, 2.8041561227074787, 0, 0, 0, 1.8005870929111905
    ],
    "EEE": [
        4.0283634927819456, -0.078492181952887666, -1.4698857965578265, -0.078492181952887666,
        2.1139026705785811, 0.7774285423357441, -1.4698857965578265, 0.7774285423357441,
        1.529811184621495, 4.0283634927819456, -0.078492181952887666, -1.4698857965578265,
        -0.078492181952887666, 2.1139026705785811, 0.7774285423357441, -1.4698857965578265,
        0.7774285423357441, 1.529811184621495, 4.0283634927819456, -0.078492181952887666,
        -1.4698857965578265, -0.078492181952887666, 2.1139026705785811, 0.7774285423357441,
        -1.4698857965578265, 0.7774285423357441, 1.529811184621495
    ],
    "VEE": [
        2.8642136238691718, -0.0034467963606519881, -1.0060928312162827, -0.0034467963606519881,
        1.5339260094869982, 0.55611820812017587, -1.0060928312162827, 0.55611820812017587,
        1.0673276094907804, 4.5490580377036718, -0.005474339119849075, -1.5979166645879788,
        -0.005474339119849075, 2.4362423195492342, 0.88324906476249754, -1.5979166645879788,
        0.88324906476249754, 1.6951721758302962, 4.4775136163366991, -0.0053882425210697174,
        -1.5727857424909066, -0.0053882425210697174, 2.397926794529055, 0.86935793769012204,
        -1.5727857424909066, 0.86935793769012204, 1.6685116866846372
    ],
    "EVE": [
        3.6024307847534818, 0.24109378659080724, -1.1447129325903567, 0.24109378659080735,
        2.5850286794393851, 0.9410055189077261, -1.1447129325903567, 0.9410055189077261,
        1.4121251463370428, 5.041004774841662, -0.22877960971100034, -1.9476859398322659,
        -0.22877960971100034, 1.7524378350415273, 0.70512814431819393, -1.9476859398322659,
        0.70512814431819393, 1.6508599658716783, 3.4888009668101643, 0.075592973310041847,
        -1.1225834667380465, 0.075592973310041847, 2.0990313286250672, 0.69729347904058192,
        -1.1225834667380465, 0.69729347904058192, 1.4255577646098512
    ],
    "VVE": [
        2.564537735387256, 0.17163247552078562, -0.81491073311896223, 0.17163247552078562,
        1.8402584231564176, 0.66989327668974619, -0.81491073311896223, 0.66989327668974641,
        1.0052790577400128, 5.6647111454706218, -0.25708573248217542, -2.1886664948836123,
        -0.25708573248217531, 1.9692610063468814, 0.79237125067586134, -2.1886664948836123,
        0.79237125067586134, 1.8551152530059385, 3.9279363322752312, 0.085107860595644264,
        -1.2638830437620046, 0.085107860595644264, 2.3632363946025503, 0.78506180680358884,
        -1.2638830437620046, 0.78506180680358884, 1.6049927154450876
    ],
    "EEV": [
        4.5559052738078352, 0.77106447174771087, -1.0510450079339908, 0.77106447174771087,
        1.9747120625559269, 0.48315367692697703, -1.0510450079339908, 0.48315367692697703,
        1.1414600116182652, 4.4167702370257054, 0.18179680021391226, -1.3868348116643916,
        0.18179680021391226, 1.7024120109826235, 0.73951593746243316, -1.3868348116643916,
        0.73951593746243316, 1.552895099973693, 3.2475609759523647, -0.75039379090490055,
        -1.7036915815585401, -0.75039379090490055, 2.6940061040426824, 1.0231666281506291,
        -1.7036915815585401, 1.0231666281506291, 1.7305102679869742
    ],
    "VEV": [
        3.2610752410849342, 0.546773504083918, -0.75372450358494592, 0.546773504083918,
        1.4696073607172453, 0.37501304352030651, -0.75372450358494592, 0.37501304352030651,
        0.83628140669400175, 4.9625866252016673, 0.2253896403906826, -1.5419230889662894,
        0.2253896403906826, 1.9931985457589876, 0.87410530905288653, -1.5419230889662894,
        0.87410530905288653, 1.7728448884766974, 3.5212348987224038, -0.75829993982179522,
        -1.8313952725471592, -0.75829993982179522, 2.9747915782590946, 1.0941590571327102,
        -1.8313952725471592, 1.0941590571327102, 1.8639499208981616
    ],
    "EVV": [
        3.8814643986292303, 0.59594330207004487, -0.91649888631077037, 0.59594330207004487,
        2.3680986810021434, 0.77461199914921253, -0.91649888631077037, 0.77461199914921253,
        1.1984283111350074, 5.2193745644853538, 0.10325847558258376, -1.7638577744931023,
        0.10325847558258376, 1.5002334325008659, 0.65512739028508149, -1.7638577744931023,
        0.65512739028508149, 1.6077478526200739, 2.9931383299222443, -0.61620244854898487,
        -1.4961623280796159, -0.61620244854898487, 2.5500305326570913, 0.8934873266715514,
        -1.4961623280796159, 0.8934873266715514, 1.6374095673384104
    ],
    "VVV": [
        2.8194197930927904, 0.43288155419143931, -0.66572685848275337, 0.43288155419143931,
        1.7201405468441993, 0.56266299985638146, -0.66572685848275337, 0.56266299985638146,
        0.87051487634669122, 5.9475183161838059, 0.11766384405660855, -2.0099297897343638,
        0.11766384405660855, 1.709527781175828, 0.7465228074771092, -2.0099297897343638,
        0.7465228074771092, 1.8320413074638058, 3.291422226704197, -0.67761065869493808,
        -1.6452637327746478, -0.67761065869493808, 2.8041561227074778, 0.98252861115231416,
        -1.6452637327746478, 0.98252861115231416, 1.8005870929111918
    ],
    "E": [
        4.0283634927819509
    ],
    "V": [
        2.819419793092794, 5.9475183161838059, 3.2914222267041988
    ],
}


def _random_problem(seed, k=3, d=3, n=60):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d) * 3
    X[: n // 2] += rng.normal(size=d) * 2
    R = rng.dirichlet(np.full(k, 0.5), size=n)
    return cm.scatter_matrices(X, R)


def _sorted_eigs(S):
    return np.sort(np.linalg.eigvalsh(S), axis=-1)


def assert_constraint(model, cov, rtol=1e-7):
    """Check the model's letters on covariances (k, d, d) only."""
    k, d, _ = cov.shape
    vol = np.exp(np.linalg.slogdet(cov)[1] / d)
    vol_letter, shape_letter, orient_letter = model
    if vol_letter == "E":
        np.testing.assert_allclose(vol, vol[0], rtol=rtol)
    normed = cov / vol[:, None, None]
    if shape_letter == "I":
        # spherical: Sigma_k = lambda_k I
        np.testing.assert_allclose(normed, np.broadcast_to(np.eye(d), normed.shape), atol=rtol)
        return
    if shape_letter == "E":
        np.testing.assert_allclose(_sorted_eigs(normed), _sorted_eigs(normed)[:1].repeat(k, 0), rtol=rtol)
    if orient_letter == "I":
        off = normed - np.einsum("kii->ki", normed)[:, :, None] * np.eye(d)
        np.testing.assert_allclose(off, 0.0, atol=rtol)
    if orient_letter == "E":
        # a common set of eigenvectors: the covariances commute
        for a in range(k):
            for b in range(k):
                np.testing.assert_allclose(normed[a] @ normed[b], normed[b] @ normed[a], atol=rtol * 10)
        if shape_letter == "E":
            np.testing.assert_allclose(normed, normed[:1].repeat(k, 0), atol=rtol * 10)


@pytest.mark.parametrize("model", MODELS)
def test_constraint_holds(model):
    for seed in range(3):
        nk, _, W = _random_problem(seed)
        res = cm.mstep_covariances(model, nk, W)
        assert res.converged
        assert_constraint(model, res.covariances)
        # the decomposition rebuilds the covariances and has det(A_k) = 1
        np.testing.assert_allclose(res.decomposition.covariances(), res.covariances, atol=1e-12)
        np.testing.assert_allclose(np.prod(res.decomposition.shape, axis=1), 1.0, rtol=1e-10)
        D = res.decomposition.orientation
        np.testing.assert_allclose(np.einsum("kji,kjl->kil", D, D), np.broadcast_to(np.eye(3), D.shape), atol=1e-10)


def test_constraint_checker_can_fail():
    nk, _, W = _random_problem(0)
    vvv = cm.mstep_covariances("VVV", nk, W).covariances
    for model in ("EEE", "VEE", "EVE", "EEV", "VVI", "EII"):
        with pytest.raises(AssertionError):
            assert_constraint(model, vvv)


def _perturb(model, dec, rng, size):
    """A random covariance of the same model near the decomposition."""
    k, d = dec.shape.shape
    v, s, o = model
    lam = np.log(dec.scale)
    lam = lam + (rng.normal() * size if v == "E" else rng.normal(size=k) * size)
    shp = np.log(dec.shape)
    if s == "E":
        e = rng.normal(size=d) * size
        shp = shp + (e - e.mean())[None]
    elif s == "V":
        e = rng.normal(size=(k, d)) * size
        shp = shp + e - e.mean(axis=1, keepdims=True)
    D = dec.orientation.copy()
    if o != "I" and s != "I":
        def rot():
            a = rng.normal(size=(d, d)) * size
            return expm(a - a.T)
        if o == "E":
            Q = rot()
            D = np.einsum("kij,jl->kil", D, Q)
        else:
            D = np.stack([D[j] @ rot() for j in range(k)])
    return cm.Decomposition(np.exp(lam), np.exp(shp), D).covariances()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), size=st.sampled_from([1e-3, 3e-2, 0.3]))
def test_no_feasible_perturbation_improves(seed, size):
    nk, _, W = _random_problem(seed % 1000, k=3, d=3)
    rng = np.random.default_rng(seed)
    for model in MODELS:
        res = cm.mstep_covariances(model, nk, W)
        best = cm.expected_loglik(nk, W, res.covariances)
        for _ in range(8):
            cov = _perturb(model, res.decomposition, rng, size)
            assert_constraint(model, cov, rtol=1e-6)
            assert cm.expected_loglik(nk, W, cov) <= best + 1e-9 * abs(best), model


def test_perturbation_check_can_fail():
    # mclust's VVE fixed point is not the constrained maximum: a feasible move from it improves
    nk, _, W = cm.scatter_matrices(X_REF, Z_REF)
    ml = cm.mstep_covariances("VVE", nk, W)
    mc = cm.mstep_covariances("VVE", nk, W, vve_mclust=True)
    assert cm.expected_loglik(nk, W, ml.covariances) > cm.expected_loglik(nk, W, mc.covariances) + 1e-3


@pytest.mark.parametrize("model", MODELS + cm.MODEL_NAMES_1D)
def test_agrees_with_mclust_mstep(model):
    ref = np.array(MCLUST_SIGMA[model])
    if model in cm.MODEL_NAMES_1D:
        weights, means, res = cm.mstep(model, X_REF[:, 0], Z_REF)
        ref = np.broadcast_to(ref, (3,))
        np.testing.assert_allclose(res.covariances[:, 0, 0], ref, rtol=1e-6)
        return
    weights, means, res = cm.mstep(model, X_REF, Z_REF, vve_mclust=(model == "VVE"))
    ref = ref.reshape(3, 3, 3)  # column-major p x p x G -> [G][j][i]; symmetric
    scale = np.max(np.abs(ref))
    np.testing.assert_allclose(res.covariances, np.transpose(ref, (0, 2, 1)), atol=1e-6 * scale, rtol=1e-6)
    np.testing.assert_allclose(weights, Z_REF.sum(0) / Z_REF.sum(), rtol=1e-12)


def test_vve_maximum_is_above_mclust():
    nk, _, W = cm.scatter_matrices(X_REF, Z_REF)
    ref = np.transpose(np.array(MCLUST_SIGMA["VVE"]).reshape(3, 3, 3), (0, 2, 1))
    ours = cm.mstep_covariances("VVE", nk, W).covariances
    gain = cm.expected_loglik(nk, W, ours) - cm.expected_loglik(nk, W, ref)
    assert 0.005 < gain < 0.01  # 0.0068 measured


# nMclustParams(m, d = 5, G = 4) and nMclustParams(m, d = 2, G = 1), mclust 6.0.0 (R 4.2.2)
MCLUST_NPARAMS = {
    "EII": (24, 3), "VII": (27, 3), "EEI": (28, 4), "VEI": (31, 4), "EVI": (40, 4), "VVI": (43, 4),
    "EEE": (38, 5), "VEE": (41, 5), "EVE": (50, 5), "VVE": (53, 5), "EEV": (68, 5), "VEV": (71, 5),
    "EVV": (80, 5), "VVV": (83, 5),
}


@pytest.mark.parametrize("model", MODELS)
def test_parameter_counts_as_mclust(model):
    assert cm.n_parameters(model, 5, 4) == MCLUST_NPARAMS[model][0]
    assert cm.n_parameters(model, 2, 1) == MCLUST_NPARAMS[model][1]


def test_parameter_counts_1d_and_aliases():
    # nMclustParams("E", 1, 3) = 6, nMclustParams("V", 1, 3) = 8
    assert cm.n_parameters("E", 1, 3) == 6 and cm.n_parameters("V", 1, 3) == 8
    for sk, mc in cm.SKLEARN_NAMES.items():
        assert cm.canonical_model(sk, 3) == mc
        assert cm.n_parameters(sk, 4, 3) == cm.n_parameters(mc, 4, 3)
    assert cm.canonical_model("full", 1) == "V" and cm.canonical_model("tied", 1) == "E"
    assert cm.canonical_model("EVE", 1) == "E"
    with pytest.raises(ValueError, match="one feature"):
        cm.canonical_model("V", 2)
    with pytest.raises(ValueError, match="unknown covariance model"):
        cm.canonical_model("XYZ", 2)


def test_sklearn_models_match_plain_formulas_and_reg_covar():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 3)) * [1.0, 10.0, 0.1]
    R = rng.dirichlet(np.ones(2), size=50)
    nk, mu, W = cm.scatter_matrices(X, R)
    reg = 1e-3
    full = cm.mstep_covariances("full", nk, W, reg_covar=reg).covariances
    np.testing.assert_allclose(full, W / nk[:, None, None] + reg * np.eye(3), rtol=1e-12)
    tied = cm.mstep_covariances("tied", nk, W, reg_covar=reg).covariances
    np.testing.assert_allclose(tied[0], W.sum(0) / nk.sum() + reg * np.eye(3), rtol=1e-12)
    diag = cm.mstep_covariances("diag", nk, W, reg_covar=reg).covariances
    np.testing.assert_allclose(np.einsum("kii->ki", diag), np.einsum("kii->ki", W) / nk[:, None] + reg, rtol=1e-12)
    sph = cm.mstep_covariances("spherical", nk, W, reg_covar=reg).covariances
    np.testing.assert_allclose(sph[:, 0, 0], np.trace(W, axis1=1, axis2=2) / (3 * nk) + reg, rtol=1e-12)
    # a ridge in standardised units is the same ridge after rescaling the features (for the
    # models closed under diagonal rescaling)
    s = np.array([2.0, 0.5, 30.0])
    Ws = W * np.outer(s, s)
    for model in ("VEE", "EVV", "VEI", "EVI", "EEE"):
        a = cm.mstep_covariances(model, nk, W, reg_covar=reg, reg_scale=np.ones(3)).covariances
        b = cm.mstep_covariances(model, nk, Ws, reg_covar=reg, reg_scale=s).covariances
        np.testing.assert_allclose(b, a * np.outer(s, s), rtol=1e-8, atol=1e-12)
    # ... and not for those that are not (the check can fail)
    a = cm.mstep_covariances("VEV", nk, W, reg_covar=reg).covariances
    b = cm.mstep_covariances("VEV", nk, Ws, reg_covar=reg, reg_scale=s).covariances
    assert not np.allclose(b, a * np.outer(s, s), rtol=1e-4)


def test_degenerate_and_bad_input():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [5.0, 1.0], [6.0, 3.0]])
    R = np.array([[1, 0], [1, 0], [1, 0], [0, 1.0], [0, 1.0]])
    nk, mu, W = cm.scatter_matrices(X, R)
    with pytest.raises(cm.DegenerateMStep) as e:
        cm.mstep_covariances("VVV", nk, W)
    assert e.value.component == 0
    # pooled models survive a singular component scatter
    cov = cm.mstep_covariances("EEE", nk, W).covariances
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    # a ridge keeps every model finite
    for model in MODELS:
        res = cm.mstep_covariances(model, nk, W, reg_covar=1e-6)
        assert np.all(np.isfinite(res.covariances)) and np.all(np.linalg.eigvalsh(res.covariances) > 0)
    with pytest.raises(cm.DegenerateMStep, match="no weight"):
        cm.mstep_covariances("VVV", np.array([3.0, 0.0]), W)
    with pytest.raises(ValueError, match="shape"):
        cm.mstep_covariances("VVV", nk, W[:, :1])
    with pytest.raises(ValueError, match="reg_covar"):
        cm.mstep_covariances("VVV", nk, W, reg_covar=-1.0)
    with pytest.raises(ValueError, match="NaN"):
        cm.mstep_covariances("VVV", nk, W * np.nan)
    assert issubclass(cm.DegenerateMStep, ValueError)


def test_warm_start_reaches_the_same_maximum():
    nk, _, W = _random_problem(3)
    for model in sorted(cm.ITERATIVE_MODELS):
        cold = cm.mstep_covariances(model, nk, W)
        warm = cm.mstep_covariances(model, nk, W, init=cold.decomposition)
        assert warm.n_iter <= 2
        np.testing.assert_allclose(warm.covariances, cold.covariances, rtol=1e-8, atol=1e-10)


def test_storage_seam_reproduces_the_m_step():
    nk, _, W = _random_problem(7)
    reg = np.array([1e-3, 2e-3, 5e-4])
    for model in MODELS:
        st_ = cm.storage_type(model, 3)
        direct = cm.mstep_covariances(model, nk, W, reg_covar=1.0, reg_scale=np.sqrt(reg)).covariances
        if st_ == "full":
            base = W / nk[:, None, None] + np.diag(reg)
        elif st_ == "tied":
            assert not cm.needs_constraint(model, 3)
            continue
        else:  # diag and spherical both pass per-feature variances
            base = np.einsum("kii->ki", W) / nk[:, None] + reg
            if st_ == "spherical":
                reg_s = np.full(3, reg.mean())
                base = np.repeat((np.trace(W, axis1=1, axis2=2) / (3 * nk))[:, None], 3, axis=1) + reg_s
                direct = cm.mstep_covariances(model, nk, W, reg_covar=reg.mean()).covariances
                out, _ = cm.constrain_storage(model, base, nk, reg_s)
                np.testing.assert_allclose(out, np.einsum("kii->ki", direct), rtol=1e-9)
                continue
        out, res = cm.constrain_storage(model, base, nk, reg)
        want = direct if st_ == "full" else np.einsum("kii->ki", direct)
        if cm.needs_constraint(model, 3):
            np.testing.assert_allclose(out, want, rtol=1e-8, atol=1e-12)
        else:  # sklearn-equivalent: the base M-step already is the model's
            np.testing.assert_allclose(base, want, rtol=1e-9, atol=1e-12)
    assert cm.storage_type("EVE", 3) == "full" and cm.storage_type("VEI", 3) == "diag"
    assert cm.storage_type("EII", 3) == "spherical" and cm.storage_type("E", 1) == "tied"
    assert cm.storage_type("full", 2) == "full" and not cm.needs_constraint("diag", 2)


def test_engine_seam_all_layouts():
    nk, _, W = _random_problem(9)
    reg = np.array([1e-3, 2e-3, 5e-4])
    for model in MODELS:
        st_ = cm.storage_type(model, 3)
        if st_ == "full":
            base = W / nk[:, None, None] + np.diag(reg)
        elif st_ == "diag":
            base = np.einsum("kii->ki", W) / nk[:, None] + reg
        elif st_ == "spherical":
            base = np.trace(W, axis1=1, axis2=2) / (3 * nk) + reg.mean()
        else:
            base = (W.sum(0) / nk.sum() + np.diag(reg))
        out, res = cm.constrain_engine_mstep(model, base, nk, reg if st_ != "spherical" else reg.mean(), 3)
        if not cm.needs_constraint(model, 3):
            assert res is None and out is base or np.array_equal(out, base)
            continue
        ref = cm.mstep_covariances(model, nk, cm.scatters_from_storage(base, nk, reg if st_ != "spherical" else reg.mean(), 3),
                                   reg_covar=1.0, reg_scale=np.sqrt(reg) if st_ != "spherical" else np.sqrt(np.full(3, reg.mean())))
        want = {"full": ref.covariances, "diag": np.einsum("kii->ki", ref.covariances),
                "spherical": ref.covariances[:, 0, 0]}[st_]
        np.testing.assert_allclose(out, want, rtol=1e-8, atol=1e-12)
        assert_constraint(model, res.covariances)
