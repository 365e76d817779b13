"""mclust's hierarchical initialisation (emdesk.engine.hierarchical) against R.

The literals below were produced with R 4.2.2 and mclust 6.0.0 (Debian r-cran-mclust) on R's
``faithful`` data (datasets package, 272 x 2):

    X <- as.matrix(faithful)
    h <- hc(X, modelName = "VVV", use = "SVD")     # what Mclust() runs (hcUse = "SVD")
    cl <- hclass(h, 2:5)                           # one string of labels per G below
    mclust:::qclass(faithful$waiting, G)           # mclust's 1-D start, G = 2..5
    hclass(hc(faithful$eruptions, modelName = "V", use = "SVD"), 2:5)

(Measured besides: our tree equals mclust's at every level G = 1..272 with use = "SVD".  With
use = "VARS" (raw columns) the two agree down to G = 65 and part at G = 64, where mclust merges a
pair whose criterion change is 0.376 while another costs -1.909: mclust's choice is not the
minimum of its own criterion there, so it is not reproduced.)
"""

import numpy as np
import pytest

from emdesk.engine.hierarchical import (
    duplicate_partition,
    hierarchical_labels,
    hierarchical_tree,
    quantile_labels,
    svd_transform,
)

FAITHFUL = np.array([[float(v) for v in pair.split(",")] for pair in (
    "3.6,79 1.8,54 3.333,74 2.283,62 4.533,85 2.883,55 4.7,88 3.6,85 1.95,51 4.35,85 1.833,54 "
    "3.917,84 4.2,78 1.75,47 4.7,83 2.167,52 1.75,62 4.8,84 1.6,52 4.25,79 1.8,51 1.75,47 3.45,78 "
    "3.067,69 4.533,74 3.6,83 1.967,55 4.083,76 3.85,78 4.433,79 4.3,73 4.467,77 3.367,66 4.033,80 "
    "3.833,74 2.017,52 1.867,48 4.833,80 1.833,59 4.783,90 4.35,80 1.883,58 4.567,84 1.75,58 4.533,73 "
    "3.317,83 3.833,64 2.1,53 4.633,82 2,59 4.8,75 4.716,90 1.833,54 4.833,80 1.733,54 4.883,83 "
    "3.717,71 1.667,64 4.567,77 4.317,81 2.233,59 4.5,84 1.75,48 4.8,82 1.817,60 4.4,92 4.167,78 "
    "4.7,78 2.067,65 4.7,73 4.033,82 1.967,56 4.5,79 4,71 1.983,62 5.067,76 2.017,60 4.567,78 "
    "3.883,76 3.6,83 4.133,75 4.333,82 4.1,70 2.633,65 4.067,73 4.933,88 3.95,76 4.517,80 2.167,48 "
    "4,86 2.2,60 4.333,90 1.867,50 4.817,78 1.833,63 4.3,72 4.667,84 3.75,75 1.867,51 4.9,82 2.483,62 "
    "4.367,88 2.1,49 4.5,83 4.05,81 1.867,47 4.7,84 1.783,52 4.85,86 3.683,81 4.733,75 2.3,59 4.9,89 "
    "4.417,79 1.7,59 4.633,81 2.317,50 4.6,85 1.817,59 4.417,87 2.617,53 4.067,69 4.25,77 1.967,56 "
    "4.6,88 3.767,81 1.917,45 4.5,82 2.267,55 4.65,90 1.867,45 4.167,83 2.8,56 4.333,89 1.833,46 "
    "4.383,82 1.883,51 4.933,86 2.033,53 3.733,79 4.233,81 2.233,60 4.533,82 4.817,77 4.333,76 "
    "1.983,59 4.633,80 2.017,49 5.1,96 1.8,53 5.033,77 4,77 2.4,65 4.6,81 3.567,71 4,70 4.5,81 "
    "4.083,93 1.8,53 3.967,89 2.2,45 4.15,86 2,58 3.833,78 3.5,66 4.583,76 2.367,63 5,88 1.933,52 "
    "4.617,93 1.917,49 2.083,57 4.583,77 3.333,68 4.167,81 4.333,81 4.5,73 2.417,50 4,85 4.167,74 "
    "1.883,55 4.583,77 4.25,83 3.767,83 2.033,51 4.433,78 4.083,84 1.833,46 4.417,83 2.183,55 4.8,81 "
    "1.833,57 4.8,76 4.1,84 3.966,77 4.233,81 3.5,87 4.366,77 2.25,51 4.667,78 2.1,60 4.35,82 "
    "4.133,91 1.867,53 4.6,78 1.783,46 4.367,77 3.85,84 1.933,49 4.5,83 2.383,71 4.7,80 1.867,49 "
    "3.833,75 3.417,64 4.233,76 2.4,53 4.8,94 2,55 4.15,76 1.867,50 4.267,82 1.75,54 4.483,75 4,78 "
    "4.117,79 4.083,78 4.267,78 3.917,70 4.55,79 4.083,70 2.417,54 4.183,86 2.217,50 4.45,90 1.883,54 "
    "1.85,54 4.283,77 3.95,79 2.333,64 4.15,75 2.35,47 4.933,86 2.9,63 4.583,85 3.833,82 2.083,57 "
    "4.367,82 2.133,67 4.35,74 2.2,54 4.45,83 3.567,73 4.5,73 4.15,88 3.817,80 3.917,71 4.45,83 2,56 "
    "4.283,79 4.767,78 4.533,84 1.85,58 4.25,83 1.983,43 2.25,60 4.75,75 4.117,81 2.15,46 4.417,90 "
    "1.817,46 4.467,74 "
).split()])

HCLASS_VVV_SVD = {
    2: (
        "121212112121121221212212112111111112212112121112121121211211212121112112112121111112111121"
        "212121112121211212111211212121211211212121212121211211121212112111112121211121212211111211"
        "211121121212111111212112121121212111212121211111111212122112121111212121111111211121221121"
        "21"
    ),
    3: (
        "123232312321323223232212312333333332232132323132323123233233232321332312332323313332333321"
        "212323332321233232313233232321233211232123212323213233323212332333312121233323212233333213"
        "233123123232313313232312323123232333212323233333333212122332323331232323331133233323223321"
        "23"
    ),
    4: (
        "123432312321323243232214312333333332234134343132343123233433432341334312334343313334333321"
        "412343332341233232313433432341233211232123212323213433343212334333312121433343212233333213"
        "233123123234313313234312323123432333212323233333333212122334323331234323331133233343243321"
        "23"
    ),
    5: (
        "123452512521525245252214312535333532234154543132543123253435452541534312534343313534353521"
        "412343532541255252513455452541235211252125212525215453343212354533512121433345212233553213"
        "235125125234315513234512323125432333212525235555353212122554325351254325331135253545243521"
        "23"
    ),
}

QCLASS_WAITING = {
    2: (
        "211121221212212112121121121222121211121221211211211212121122121212221121211212221211122212"
        "121211211212122121221122121212112122121212121212122122212121221211221212121212121121221121"
        "122212212121222222121221212212121112121212112222121121211221112122121112112212122212111212"
        "11"
    ),
    3: (
        "212131331313213113121122231222222321131331312321312313132223131313222231221212232322232313"
        "131212321313133131332132131313122133131313131313123132213131222322331313122213131122332132"
        "123312313131232332121331212313231222131213122222222131311222213133132213223323122313112313"
        "12"
    ),
    4: (
        "312241441414314124131132241333232321132432422421422413142233241424332241322323342422243314"
        "241322421424143141432243231424123143141414141414133243323141332322341414232324141132332142"
        "134413414131343343132441313414231223141314123333232141411332214244142214224324133424122314"
        "12"
    ),
    5: (
        "413252551515415125141142352344332431142542523521423514153234251425442342432324353422353415"
        "251423531425154151543254241525123254142515251415144243324151332432451515242325151232443153"
        "235514515242353453142451413515341323152314134444242151511342315254242315335435244525123415"
        "13"
    ),
}

HCLASS_V_ERUPTIONS = {
    2: (
        "111111111111111111111111111111111111211111111111111111111111111111111111111111111111111111"
        "112111112111111211111111111111111111111121111111111111111111111111111111111111111111111111"
        "111111111111111111111112111111112111111121111111111111111111111111111111111111111111111111"
        "11"
    ),
    3: (
        "111111111111111111111111111111111111211111111111111111111111131111111111311111111111111111"
        "112111112111131211111111111111111111131121111111111111111111111111311111111111111111113111"
        "111111111111111111111112111113112111111121111111111111111111111111111111131111111111111111"
        "11"
    ),
    4: (
        "111111111121111111111111111111111111312111111111111121111111141111111111411111111111111111"
        "113121113111141311111111111111111111141131112111111111111111111111411111111111111111114111"
        "111111121112111111111113111114113111111131111111111111111111111111111111141111111111111111"
        "11"
    ),
    5: (
        "111111111121131131111311111111111111412111131111111121111111153111111111511111111111111111"
        "114121114111151411111111111111111111151141112111111111111111111111511111111111111111115111"
        "111111121112111111111114111115114111111141311111111111111111111111111111151111111111111111"
        "11"
    ),
}


def _labels(s):
    return np.array([int(c) - 1 for c in "".join(s)])


def test_faithful_data_literal():
    assert FAITHFUL.shape == (272, 2)
    np.testing.assert_allclose(FAITHFUL.mean(axis=0), [3.4877830882352936, 70.897058823529406], rtol=1e-12)


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_partition_equals_mclust_hc_svd(k):
    tree = hierarchical_tree(FAITHFUL)
    assert tree.model == "VVV" and not tree.subsampled
    # same partition and even the same numbering (first appearance) as hclass
    np.testing.assert_array_equal(tree.labels(k), _labels(HCLASS_VVV_SVD[k]))


def test_tree_labels_nest_and_can_differ():
    tree = hierarchical_tree(FAITHFUL)
    for k in range(2, 6):
        fine, coarse = tree.labels(k + 1), tree.labels(k)
        # every fine cluster lies inside one coarse cluster
        for c in np.unique(fine):
            assert len(np.unique(coarse[fine == c])) == 1
    # raw columns give another tree (the transformation matters)
    raw = hierarchical_tree(FAITHFUL, use="VARS").labels(3)
    assert not np.array_equal(raw, _labels(HCLASS_VVV_SVD[3]))


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_one_feature_starts_as_mclust(k):
    np.testing.assert_array_equal(quantile_labels(FAITHFUL[:, 1], k), _labels(QCLASS_WAITING[k]))
    tree = hierarchical_tree(FAITHFUL[:, 0])
    assert tree.model == "V"
    np.testing.assert_array_equal(tree.labels(k), _labels(HCLASS_V_ERUPTIONS[k]))


def test_svd_transform_whitens_up_to_scale():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) @ np.array([[3.0, 1, 0], [0, 0.01, 0], [0, 0, 1e4]]) + 1e6
    Z = svd_transform(X)
    # Z = U diag(sqrt(s)): orthogonal columns, squared norms s
    G = Z.T @ Z
    np.testing.assert_allclose(G - np.diag(np.diag(G)), 0.0, atol=1e-8 * G.max())
    # invariant to rescaling the columns (scale-free start)
    Z2 = svd_transform(X * [1e-3, 5.0, 2.0])
    np.testing.assert_allclose(np.abs(Z2), np.abs(Z), atol=1e-8)
    # a constant column is dropped
    assert svd_transform(np.c_[X, np.ones(200)]).shape == (200, 3)


def test_subsample_beyond_max_points_and_labels_for_all_rows():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 8])
    tree = hierarchical_tree(X, max_points=150, random_state=0)
    assert tree.subsampled and len(tree.sample) == 150
    lab = tree.labels(2)
    assert lab.shape == (600,)
    # the two well separated groups are found for every row
    assert len(np.unique(lab[:300])) == 1 and len(np.unique(lab[300:])) == 1 and lab[0] != lab[-1]
    full = hierarchical_tree(X)
    assert not full.subsampled
    np.testing.assert_array_equal(hierarchical_labels(X, 2), full.labels(2))


def test_duplicates_merge_first_and_duplicate_partition():
    X = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 0.0], [1.0, 2.0], [5.0, 5.0], [9.0, 1.0]])
    np.testing.assert_array_equal(duplicate_partition(X), [0, 1, 0, 2, 1, 3])
    tree = hierarchical_tree(X, use="VARS")
    first_two = {frozenset(m) for m in tree.merges[:2]}
    assert first_two == {frozenset((0, 2)), frozenset((1, 4))}


def test_bad_input():
    with pytest.raises(ValueError, match="at least 2 rows"):
        hierarchical_tree(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="finite"):
        hierarchical_tree(np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 1.0]]))
    with pytest.raises(ValueError, match="use must be"):
        hierarchical_tree(FAITHFUL, use="PCS")
    with pytest.raises(ValueError, match="n_clusters"):
        hierarchical_tree(FAITHFUL[:5]).labels(6)
    with pytest.raises(ValueError, match="quantile classes"):
        quantile_labels(np.array([1.0, 1.0, 2.0]), 3)


def test_check_callback_can_stop_a_long_build():
    calls = []

    class Stop(Exception):
        pass

    def check():
        calls.append(1)
        if len(calls) >= 2:
            raise Stop

    rng = np.random.default_rng(3)
    with pytest.raises(Stop):
        hierarchical_tree(rng.normal(size=(600, 2)), check=check)
    assert len(calls) == 2


# Mclust(faithful, G, modelNames)$loglik, R 4.2.2 / mclust 6.0.0 (its EM stops at a relative
# change of 1e-5, so a converged fit from the same start ends at or slightly above it)
MCLUST_LOGLIK = {("tied", 3): -1126.3262364683, ("full", 2): -1130.2640682869}


@pytest.mark.parametrize("ct,k", sorted(MCLUST_LOGLIK))
def test_gaussian_mixture_hierarchical_start_reaches_mclust(ct, k):
    from emdesk.engine import GaussianMixture

    gm = GaussianMixture(k, covariance_type=ct, init_params="hierarchical", tol=1e-10, max_iter=2000,
                         reg_covar=0.0).fit(FAITHFUL)
    ll = gm.score(FAITHFUL) * len(FAITHFUL)
    assert 0.0 <= ll - MCLUST_LOGLIK[(ct, k)] < 0.02  # measured +0.0103 (EEE,3), +0.0001 (VVV,2)
    # the start is mclust's partition: the first snapshot's parameters come from hclass(hc, k)
    first = next(iter(GaussianMixture(k, covariance_type=ct, init_params="hierarchical",
                                      reg_covar=0.0).fit_iter(FAITHFUL, responsibilities=True)))
    labels = np.argmax(first.responsibilities, axis=1)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(labels, _labels(HCLASS_VVV_SVD[k])) > 0.9


def test_hierarchical_init_params_one_feature_weights_and_errors():
    from emdesk.engine import GaussianMixture

    x = FAITHFUL[:, :1]
    gm = GaussianMixture(2, init_params="hierarchical", random_state=0).fit(x)
    assert np.sort(gm.means_[:, 0]).round(1).tolist() == [2.0, 4.3]
    w = np.ones(len(FAITHFUL))
    w[:10] = 0.0
    GaussianMixture(3, init_params="hierarchical").fit(FAITHFUL, sample_weight=w)
    import warnings

    with pytest.raises(ValueError, match="distinct rows"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two distinct rows: the columns are also dependent
        GaussianMixture(3, init_params="hierarchical").fit(np.array([[0.0, 1.0]] * 5 + [[2.0, 2.0]] * 5))
    stopped = list(GaussianMixture(3, init_params="hierarchical").fit_iter(FAITHFUL, interrupt=lambda: True))
    assert stopped == []
