"""Agreement metrics (analytics/agreement.py): published worked examples, reference implementations on random
inputs, invariants, undefined cases, the bucket bootstrap, performance and the ``labelqa agreement`` CLI.

Every published value carries its source beside it. Reference implementations (test-only):
``statsmodels.stats.inter_rater``, ``sklearn.metrics.cohen_kappa_score``, ``krippendorff`` (fast-krippendorff),
``nltk.metrics.agreement.AnnotationTask``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import agreement as ag
from analytics.cli import main

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------------------ data helpers
DATA = Path(__file__).resolve().parent / "data"  # vendored reference datasets: source and licence in README.md


def reference_table(name: str) -> np.ndarray:
    """A vendored rating table (one row per subject, one column per rater, ``subject`` column dropped)."""
    return pd.read_csv(DATA / name).drop(columns="subject").to_numpy()


def wide_to_long(rows: dict[str, list]) -> pd.DataFrame:
    """``{annotator: [label per unit or None]}`` -> long frame (units ``u1``, ``u2``, ...)."""
    recs = [(f"u{i + 1}", a, v) for a, vals in rows.items() for i, v in enumerate(vals) if v is not None]
    return pd.DataFrame(recs, columns=["item_id", "annotator_id", "label"])


def table_to_pairs(table) -> tuple[list[int], list[int]]:
    """Two raters' labels from a contingency table (rows: rater A's category, columns: rater B's)."""
    t = np.asarray(table, dtype=int)
    a, b = [], []
    for i in range(t.shape[0]):
        for j in range(t.shape[1]):
            a += [i] * t[i, j]
            b += [j] * t[i, j]
    return a, b


def two_rater_frame(a, b) -> pd.DataFrame:
    n = len(a)
    return pd.DataFrame({"item_id": [f"i{k}" for k in range(n)] * 2, "annotator_id": ["A"] * n + ["B"] * n,
                         "label": list(a) + list(b)})


def counts_to_long(counts) -> pd.DataFrame:
    """Subjects x categories count table (constant raters) -> long frame."""
    recs = []
    for i, row in enumerate(np.asarray(counts, dtype=int)):
        r = 0
        for c, k in enumerate(row):
            for _ in range(k):
                recs.append((f"s{i}", f"r{r}", c))
                r += 1
    return pd.DataFrame(recs, columns=["item_id", "annotator_id", "label"])


# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", section E: 4 observers x 12 units, missing data.
KRIPP_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}
# Gwet (2014) Handbook of Inter-Rater Reliability 4th ed., p. 120 = irrCAC dataset cac.raw4raters.
GWET_RAW4RATERS = {
    "Rater1": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "Rater2": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    "Rater3": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    "Rater4": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}
# Gwet (2014), larger version p. 125 = irrCAC dataset cac.raw5obser (15 units, 5 observers).
GWET_RAW5OBSERVERS = {
    "Observer1": [1, 1, 2, None, 0, 0, 1, 1, 2, 2, None, 0, 1, 3, 1],
    "Observer2": [1, 1, 3, 0, 0, 0, 0, None, 2, 1, 1, 0, 2, 3, 1],
    "Observer3": [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
    "Observer4": [None, 1, 3, None, None, None, None, 0, None, 1, 0, 0, 2, 2, None],
    "Observer5": [2, None, None, 0, 0, 0, 1, None, 2, None, None, None, None, 3, 1],
}
# irrCAC dataset cac.ben.gerry (2 raters, 12 units, one missing rating).
GWET_BEN_GERRY = {
    "Ben": ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"],
    "Gerry": ["b", "a", "b", "b", "b", "c", "c", "c", "e", None, "d", "d"],
}
# Gwet (2014) / irrCAC dataset cont3x3abstractors: 100 pregnant women classified by 2 abstractors.
CONT3X3_ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
# Wikipedia "Fleiss' kappa" worked example (10 subjects, 14 raters, 5 categories); also statsmodels table1.
FLEISS_WIKIPEDIA = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


# ------------------------------------------------------------------------------------------ published values

@pytest.mark.parametrize("level, published", [
    ("nominal", 0.743),   # Krippendorff (2011), section E.a
    ("ordinal", 0.815),   # Krippendorff (2011), section E.b
    ("interval", 0.849),  # Krippendorff (2011), section E.c
    ("ratio", 0.797),     # Krippendorff (2011), section E.d
])
def test_krippendorff_2011_reliability_data(level, published):
    est = ag.krippendorff_alpha(wide_to_long(KRIPP_2011), level=level, n_boot=200, seed=1)
    assert est.value == pytest.approx(published, abs=5e-4)
    assert est.n_items == 11  # unit 12 has a single value: not pairable (Krippendorff 2011: n = 40 values)
    assert est.n_annotations == 40
    assert est.ci_low < est.value < est.ci_high or est.ci_high == pytest.approx(1.0)
    assert est.reason is None and est.defined


def test_krippendorff_2011_binary_two_observers():
    # Krippendorff (2011), section A: Jon and Han, 10 units, binary data: alpha = 0.095.
    jon = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    han = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    est = ag.krippendorff_alpha(two_rater_frame(jon, han), n_boot=0)
    assert est.value == pytest.approx(0.095, abs=5e-4)
    assert math.isnan(est.ci_low) and "n_boot=0" in est.method


def test_fleiss_wikipedia_example_and_category_kappas():
    df = counts_to_long(FLEISS_WIKIPEDIA)
    # Wikipedia "Fleiss' kappa" worked example: P = 0.378, P_e = 0.213, kappa = 0.210 (statsmodels test: 0.210).
    assert ag.fleiss_kappa(df, n_boot=0).value == pytest.approx(0.210, abs=5e-4)
    assert ag.percent_agreement(df, n_boot=0).value == pytest.approx(0.378, abs=5e-4)
    per = ag.per_category_agreement(df, n_boot=0).set_index("label")
    # Cardillo G. (2007) fleiss.m, MATLAB File Exchange 15426, README output for the same table: kj per category.
    for cat, kj in zip(range(5), [0.2013, 0.0797, 0.1716, 0.0304, 0.5077]):
        assert per.loc[cat, "fleiss_kappa"] == pytest.approx(kj, abs=5e-5)


def test_fleiss_1971_diagnoses():
    diagnoses = reference_table("fleiss1971_diagnoses.csv")  # Fleiss (1971) 30 patients x 6 psychiatrists
    assert diagnoses.shape == (30, 6)
    recs = [(f"p{i}", f"r{r}", int(v)) for i, row in enumerate(diagnoses) for r, v in enumerate(row)]
    df = pd.DataFrame(recs, columns=["item_id", "annotator_id", "label"])
    # R irr: kappam.fleiss(diagnoses) -> Kappa = 0.4302445 (statsmodels test_fleiss_kappa_irr); Fleiss 1971: 0.430.
    assert ag.fleiss_kappa(df, n_boot=0).value == pytest.approx(0.4302445, abs=1e-7)


def test_cohen_sas_table_unweighted_and_linear():
    a, b = table_to_pairs([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    # SAS PROC FREQ (AGREE) printout in statsmodels TestUnweightedCohens: Simple Kappa 0.4842.
    assert ag.cohens_kappa(a, b, n_boot=0).value == pytest.approx(0.4842, abs=5e-5)
    # Same printout, TestWeightedCohens: Weighted Kappa 0.4701 (Cicchetti-Allison = linear weights).
    assert ag.cohens_kappa(a, b, weights="linear", n_boot=0).value == pytest.approx(0.4701, abs=5e-5)


@pytest.mark.parametrize("weights, published", [
    (None, -0.006289308),       # R irr: kappa2(anxiety[,2:3])            (statsmodels test_cohens_kappa_irr)
    ("linear", 0.1459075),      # R irr: kappa2(anxiety[,2:3], "equal")
    ("quadratic", 0.2520325),   # R irr: kappa2(anxiety[,2:3], "squared")
])
def test_cohen_r_irr_anxiety(weights, published):
    anxiety = reference_table("irr_anxiety.csv")  # R irr dataset anxiety (20 subjects, 3 raters)
    assert anxiety.shape == (20, 3)
    est = ag.cohens_kappa(anxiety[:, 1], anxiety[:, 2], weights=weights, n_boot=0)
    assert est.value == pytest.approx(published, abs=1e-7)


@pytest.mark.parametrize("metric, published", [
    ("cohen", 0.7964094),         # irrCAC vignette "overview": kappa2.table(cont3x3abstractors)
    ("scott_pi", 0.7962397),      # irrCAC: scott2.table(cont3x3abstractors)
    ("gwet_ac1", 0.8493305),      # irrCAC: gwet.ac1.table(cont3x3abstractors)
    ("krippendorff", 0.7972585),  # irrCAC: krippen2.table(cont3x3abstractors)
    ("percent", 0.89),            # irrCAC: pa2.table(cont3x3abstractors)
])
def test_gwet_cont3x3abstractors(metric, published):
    df = two_rater_frame(*table_to_pairs(CONT3X3_ABSTRACTORS))
    assert ag.agreement(df, metric, n_boot=0).value == pytest.approx(published, abs=1e-7)


@pytest.mark.parametrize("data, metric, published", [
    (GWET_RAW4RATERS, "gwet_ac1", 0.775),     # irrCAC gwet.ac1.raw(cac.raw4raters): AC1 0.775 (pa 0.818, pe 0.190)
    (GWET_RAW4RATERS, "fleiss", 0.761),       # irrCAC fleiss.kappa.raw(cac.raw4raters): 0.761 (pe 0.239)
    (GWET_RAW4RATERS, "percent", 0.818),      # irrCAC pa.coeff.raw(cac.raw4raters): pa 0.818
    (GWET_RAW5OBSERVERS, "gwet_ac1", 0.497),  # irrCAC gwet.ac1.raw(cac.raw5obser): 0.497
    (GWET_RAW5OBSERVERS, "fleiss", 0.458),    # irrCAC fleiss.kappa.raw(cac.raw5obser): 0.458
    (GWET_RAW5OBSERVERS, "percent", 0.616),   # irrCAC: pa 0.616
    (GWET_BEN_GERRY, "gwet_ac1", 0.661),      # irrCAC gwet.ac1.raw(cac.ben.gerry): 0.661
    (GWET_BEN_GERRY, "fleiss", 0.649),        # irrCAC fleiss.kappa.raw(cac.ben.gerry): 0.649
])
def test_gwet_handbook_raw_ratings(data, metric, published):
    # Values as tested in the Python port of irrCAC (afergadis/irrCAC, test/unit/irrCAC/raw/test_gwet.py and
    # test_fleiss.py, 3 decimals); varying raters per unit with missing ratings.
    assert ag.agreement(wide_to_long(data), metric, n_boot=0).value == pytest.approx(published, abs=5e-4)


def test_gwet_chance_term_uses_single_rated_units():
    # irrCAC/Gwet: pe over all rated units (unit 12 of cac.raw4raters has 1 rating): AC1 = 0.77544 exactly;
    # dropping unit 12 from the chance term would give 0.7752. Hand computation from Gwet (2014), eq. for AC1:
    # pa = 9/11, pi = (3, 3.25, 3.5, 1.25, 1)/12, pe = sum pi (1 - pi) / 4.
    pi = np.array([3, 3.25, 3.5, 1.25, 1]) / 12
    pe = (pi * (1 - pi)).sum() / 4
    expected = (9 / 11 - pe) / (1 - pe)
    assert ag.gwet_ac1(wide_to_long(GWET_RAW4RATERS), n_boot=0).value == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.77544, abs=5e-6)


# ------------------------------------------------------------------------------------------ reference implementations

@st.composite
def rating_frames(draw, complete=False, min_annotators=2, max_annotators=5, max_items=25, max_labels=4,
                  numeric=False):
    n_items = draw(st.integers(2, max_items))
    n_ann = draw(st.integers(min_annotators, max_annotators))
    n_lab = draw(st.integers(2, max_labels))
    labels = draw(st.lists(st.lists(st.integers(0, n_lab - 1), min_size=n_ann, max_size=n_ann),
                           min_size=n_items, max_size=n_items))
    mat = np.array(labels, dtype=float)
    if not complete:
        mask = np.array(draw(st.lists(st.lists(st.booleans(), min_size=n_ann, max_size=n_ann),
                                      min_size=n_items, max_size=n_items)))
        mat[mask] = np.nan
    if numeric:
        mat = mat + 1.0  # values 1.. (ratio metric needs no zero pairs)
    recs = [(f"it{i}", f"ann{j}", mat[i, j]) for i in range(n_items) for j in range(n_ann) if not np.isnan(mat[i, j])]
    df = pd.DataFrame(recs, columns=["item_id", "annotator_id", "label"])
    if not numeric:
        df["label"] = df["label"].astype(int).map(lambda v: f"c{v}")
    return df, mat


def _reliability_matrix(df: pd.DataFrame) -> np.ndarray:
    """annotators x items matrix (NaN = missing) of numeric labels, as the krippendorff package wants."""
    return df.pivot(index="annotator_id", columns="item_id", values="label").to_numpy(dtype=float)


@FAST
@given(rating_frames(numeric=True), st.sampled_from(ag.LEVELS))
def test_alpha_matches_krippendorff_package(frame, level):
    import krippendorff

    df, _ = frame
    ours = ag.krippendorff_alpha(df, level=level, n_boot=0)
    data = _reliability_matrix(df)
    pairable = (np.isfinite(data).sum(0) >= 2).sum()
    values = np.unique(data[:, np.isfinite(data).sum(0) >= 2][np.isfinite(data[:, np.isfinite(data).sum(0) >= 2])])
    if pairable == 0 or len(values) < 2:
        assert not ours.defined and ours.reason
        return
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert ours.value == pytest.approx(ref, abs=1e-9)


@FAST
@given(rating_frames(complete=True, min_annotators=2, max_annotators=6))
def test_fleiss_matches_statsmodels(frame):
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    df, mat = frame
    ours = ag.fleiss_kappa(df, n_boot=0)
    table, _ = aggregate_raters(mat.astype(int))
    if (table > 0).sum(0).astype(bool).sum() < 2:
        assert not ours.defined and "same category" in ours.reason
        return
    assert ours.value == pytest.approx(fleiss_kappa(table, method="fleiss"), abs=1e-9)


@FAST
@given(rating_frames(complete=True, min_annotators=2, max_annotators=2, max_items=40, max_labels=5),
       st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_matches_sklearn_and_statsmodels(frame, weights):
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import cohens_kappa

    df, mat = frame
    a, b = mat[:, 0].astype(int), mat[:, 1].astype(int)
    ours = ag.cohens_kappa(df, weights=weights, n_boot=0)
    if len(set(a) | set(b)) < 2:
        assert not ours.defined and ours.reason
        return
    ref = cohen_kappa_score(a, b, weights=weights)
    assert ours.value == pytest.approx(ref, abs=1e-9)
    cats = np.unique(np.concatenate([a, b]))
    table = np.zeros((len(cats), len(cats)))
    np.add.at(table, (np.searchsorted(cats, a), np.searchsorted(cats, b)), 1)
    sm = cohens_kappa(table, wt={None: None, "linear": "linear", "quadratic": "quadratic"}[weights],
                      return_results=False)
    assert ours.value == pytest.approx(sm, abs=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rating_frames(complete=True, min_annotators=2, max_annotators=4, max_items=15))
def test_nltk_alpha_pi_kappa(frame):
    from nltk.metrics.agreement import AnnotationTask

    df, _ = frame
    task = AnnotationTask(data=[(r.annotator_id, r.item_id, r.label) for r in df.itertuples()])
    alpha = ag.krippendorff_alpha(df, n_boot=0)
    pi = ag.scotts_pi(df, n_boot=0)
    if not alpha.defined:
        assert not pi.defined and pi.reason
        return
    assert alpha.value == pytest.approx(task.alpha(), abs=1e-9)
    assert pi.value == pytest.approx(task.pi(), abs=1e-9)  # complete data: multi-pi (Siegel & Castellan K)
    assert pi.value == pytest.approx(ag.fleiss_kappa(df, n_boot=0).value, abs=1e-9)  # = Fleiss, constant raters
    if df["annotator_id"].nunique() == 2:
        assert ag.cohens_kappa(df, n_boot=0).value == pytest.approx(task.kappa(), abs=1e-9)


@FAST
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # statsmodels divides by 0 for its z test at kappa = 1
@given(rating_frames(complete=True, min_annotators=3, max_annotators=5, max_items=30))
def test_pairwise_cohen_matches_sklearn_and_statsmodels_se(frame):
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import cohens_kappa

    df, mat = frame
    res = ag.pairwise_cohen(df, min_shared=1)
    n_ann = mat.shape[1]
    assert len(res) == n_ann * (n_ann - 1) // 2
    for r in res.itertuples():
        i, j = int(r.annotator_a[3:]), int(r.annotator_b[3:])
        a, b = mat[:, i].astype(int), mat[:, j].astype(int)
        assert r.n_shared == len(a)
        if len(set(a) | set(b)) < 2:
            assert math.isnan(r.kappa) and r.reason
            continue
        assert r.kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)
        cats = np.unique(np.concatenate([a, b]))
        table = np.zeros((len(cats), len(cats)))
        np.add.at(table, (np.searchsorted(cats, a), np.searchsorted(cats, b)), 1)
        sm = cohens_kappa(table)
        if np.isfinite(sm.std_kappa) and abs(1 - sm.kappa) > 1e-12:
            half = 1.959963984540054 * sm.std_kappa
            assert r.ci_low == pytest.approx(max(-1, sm.kappa - half), abs=1e-9)
            assert r.ci_high == pytest.approx(min(1, sm.kappa + half), abs=1e-9)


def test_pairwise_cohen_min_shared_filters_pairs():
    df = wide_to_long(KRIPP_2011)
    res = ag.pairwise_cohen(df, min_shared=10)
    assert set(zip(res.annotator_a, res.annotator_b)) == {("B", "D"), ("C", "D")}  # the pairs sharing 10 units
    assert (res.n_shared >= 10).all()
    assert list(res.columns) == ["annotator_a", "annotator_b", "kappa", "ci_low", "ci_high", "n_shared", "reason"]


# ------------------------------------------------------------------------------------------ invariants

NOMINAL = ["krippendorff", "fleiss", "gwet_ac1", "percent", "scott_pi"]


@FAST
@given(rating_frames(), st.sampled_from(NOMINAL), st.randoms(use_true_random=False))
def test_relabel_and_reorder_change_nothing(frame, metric, rnd):
    df, _ = frame
    base = ag.agreement(df, metric, n_boot=50, seed=3)
    cats = sorted(df["label"].unique())
    perm = cats[:]
    rnd.shuffle(perm)
    relabelled = df.assign(label=df["label"].map(dict(zip(cats, [f"x{p}" for p in perm]))))
    shuffled = relabelled.sample(frac=1.0, random_state=rnd.randint(0, 10_000))
    renamed = shuffled.assign(annotator_id="z" + shuffled["annotator_id"])  # annotator names do not matter
    other = ag.agreement(renamed, metric, n_boot=50, seed=3)
    for f in ("value", "ci_low", "ci_high"):
        x, y = getattr(base, f), getattr(other, f)
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-12)
    assert (base.n_items, base.n_annotations) == (other.n_items, other.n_annotations)
    assert (base.reason is None) == (other.reason is None)  # the reason may name the (relabelled) category


@FAST
@given(st.integers(2, 30), st.integers(2, 6), st.integers(2, 5), st.sampled_from(NOMINAL + ["cohen"]))
def test_perfect_agreement_is_one(n_items, n_ann, n_lab, metric):
    if metric == "cohen":
        n_ann = 2
    labels = [f"c{i % n_lab}" for i in range(n_items)]
    df = pd.DataFrame([(f"i{i}", f"a{j}", labels[i]) for i in range(n_items) for j in range(n_ann)],
                      columns=["item_id", "annotator_id", "label"])
    est = ag.agreement(df, metric, n_boot=30)
    assert est.value == pytest.approx(1.0, abs=1e-12)
    assert est.ci_low == pytest.approx(1.0, abs=1e-12) or math.isnan(est.ci_low)


@pytest.mark.parametrize("metric", ["krippendorff", "fleiss", "gwet_ac1", "scott_pi", "cohen"])
def test_one_category_is_undefined_with_reason(metric):
    df = pd.DataFrame({"item_id": ["a", "a", "b", "b"], "annotator_id": ["x", "y", "x", "y"],
                       "label": ["car"] * 4})
    est = ag.agreement(df, metric, n_boot=20)
    assert not est.defined and math.isnan(est.value)
    assert "same category" in est.reason or "one and the same category" in est.reason
    assert est.n_items == 2 and est.n_annotations == 4
    assert ag.percent_agreement(df, n_boot=0).value == 1.0  # percent agreement stays defined


def test_one_value_interval_alpha_is_undefined():
    df = pd.DataFrame({"item_id": ["a", "a", "b", "b"], "annotator_id": ["x", "y", "x", "y"], "label": [3] * 4})
    est = ag.krippendorff_alpha(df, level="interval", n_boot=0)
    assert not est.defined and "expected disagreement is 0" in est.reason


@pytest.mark.parametrize("metric", NOMINAL)
def test_single_ratings_only_is_undefined(metric):
    df = pd.DataFrame({"item_id": ["a", "b", "c"], "annotator_id": ["x", "y", "x"], "label": ["car", "van", "car"]})
    est = ag.agreement(df, metric, n_boot=10)
    assert not est.defined
    assert est.reason.startswith("no item has 2 or more ratings (3 item(s) rated once)")
    assert est.n_items == 0


def test_no_annotations_and_missing_labels():
    empty = pd.DataFrame({"item_id": [], "annotator_id": [], "label": []})
    est = ag.krippendorff_alpha(empty)
    assert not est.defined and est.reason == "no annotations"
    only_missing = pd.DataFrame({"item_id": ["a", "a"], "annotator_id": ["x", "y"], "label": [None, None]})
    assert ag.fleiss_kappa(only_missing).reason == "no annotations"
    grouped = ag.agreement(empty.assign(week=[]), by="week")
    assert grouped.empty and list(grouped.columns) == ["week", "value", "ci_low", "ci_high", "n_items",
                                                       "n_annotations", "reason"]


def test_errors_are_specific():
    df = wide_to_long(KRIPP_2011)
    with pytest.raises(ValueError, match="missing column.*'label'"):
        ag.agreement(df.drop(columns="label"))
    with pytest.raises(ValueError, match="unknown metric 'kappa'"):
        ag.agreement(df, "kappa")
    with pytest.raises(ValueError, match="unknown level 'cardinal'"):
        ag.agreement(df, level="cardinal")
    with pytest.raises(ValueError, match="exactly two annotators, found 4"):
        ag.cohens_kappa(df)
    with pytest.raises(ValueError, match="applies to metric='krippendorff' only"):
        ag.agreement(df, "fleiss", level="interval")
    with pytest.raises(ValueError, match="labels must be numeric for level='interval': 'abc' at row 3"):
        ag.krippendorff_alpha(df.assign(label=["1", "2", "abc"] + ["1"] * (len(df) - 3)), level="interval")
    dup = pd.DataFrame({"item_id": ["a", "a", "a"], "annotator_id": ["x", "x", "y"], "label": [1, 2, 1]})
    with pytest.raises(ValueError, match="more than once"):
        ag.cohens_kappa(dup)
    with pytest.raises(ValueError, match="differ in length"):
        ag.cohens_kappa([1, 2], [1])


def test_ordinal_categories_order_strings():
    # Ordered text categories: ordinal alpha on positions equals ordinal alpha on the numeric codes.
    codes = wide_to_long(KRIPP_2011)
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    text = codes.assign(label=codes["label"].map(names))
    order = [names[k] for k in range(1, 6)]
    a = ag.krippendorff_alpha(text, level="ordinal", categories=order, n_boot=0)
    assert a.value == pytest.approx(ag.krippendorff_alpha(codes, level="ordinal", n_boot=0).value, abs=1e-12)
    # weighted Cohen on ordered text = weighted Cohen on codes (R irr anxiety values above use codes)
    x, y = [1, 2, 3, 3, 2, 5], [1, 3, 3, 2, 2, 4]
    tx, ty = [names[v] for v in x], [names[v] for v in y]
    assert ag.cohens_kappa(tx, ty, weights="quadratic", categories=order, n_boot=0).value == pytest.approx(
        ag.cohens_kappa(x, y, weights="quadratic", n_boot=0).value, abs=1e-12)


# ------------------------------------------------------------------------------------------ grouping, buckets, CI

def test_item_bucket_formula_and_ids():
    import hashlib

    ids = pd.Series(["item-1", "x", "streetscene-00000042", "é", 17])
    got = ag.item_bucket(ids)
    for v, b in zip(ids, got):
        h = hashlib.md5(str(v).encode("utf-8")).hexdigest()
        assert b == ord(h[0]) * 4 + ord(h[1]) % 4  # ARCHITECTURE.md formula, literally
    assert len(ag.BUCKET_IDS) == ag.N_BUCKETS == 64
    assert set(ag.item_bucket(pd.Series([f"i{k}" for k in range(5000)]))) == set(ag.BUCKET_IDS)


@FAST
@given(rating_frames(max_items=30), st.sampled_from(NOMINAL))
def test_grouped_equals_each_group_alone(frame, metric):
    df, _ = frame
    df = df.assign(week=np.where(df["item_id"].str[2:].astype(int) % 3 == 0, "w1", "w2"))
    grouped = ag.agreement(df, metric, by="week", n_boot=40, seed=5).set_index("week")
    for week, part in df.groupby("week"):
        alone = ag.agreement(part, metric, n_boot=40, seed=5)
        row = grouped.loc[week]
        for f in ("value", "ci_low", "ci_high"):
            x, y = row[f], getattr(alone, f)
            assert (pd.isna(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-12)
        assert row["n_items"] == alone.n_items and row["reason"] == alone.reason


def test_grouped_frame_shape_multiple_columns():
    df = wide_to_long(GWET_RAW5OBSERVERS)
    df["half"] = np.where(df["item_id"].str[1:].astype(int) <= 8, "first", "second")
    df["team"] = np.where(df["annotator_id"].isin(["Observer1", "Observer2"]), "t1", "t2")
    res = ag.agreement(df, "fleiss", by=["half", "team"], n_boot=50)
    assert list(res.columns) == ["half", "team", "value", "ci_low", "ci_high", "n_items", "n_annotations", "reason"]
    assert list(zip(res.half, res.team)) == [("first", "t1"), ("first", "t2"), ("second", "t1"), ("second", "t2")]
    # units are (group, item): a team's agreement only pairs that team's ratings
    t1 = df[(df.half == "first") & (df.team == "t1")]
    assert res.iloc[0]["value"] == pytest.approx(ag.fleiss_kappa(t1, n_boot=0).value, abs=1e-12)


def test_bootstrap_reproducible_and_seeded():
    df = counts_to_long(FLEISS_WIKIPEDIA)
    a = ag.fleiss_kappa(df, n_boot=300, seed=11)
    b = ag.fleiss_kappa(df, n_boot=300, seed=11)
    c = ag.fleiss_kappa(df, n_boot=300, seed=12)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.ci_low < a.value < a.ci_high
    assert "percentile cluster bootstrap" in a.method and "300 replicates" in a.method


def test_bootstrap_equals_item_bootstrap_when_items_have_own_buckets():
    # With every item in its own bucket, the bucket bootstrap is the item bootstrap: replicate by hand with the
    # same uniforms (the j-th draw of a group with K occupied buckets is floor(U[b, j] * K)).
    df = wide_to_long(KRIPP_2011)
    buckets = ag.item_bucket(df["item_id"])
    assert buckets.groupby(df["item_id"]).first().nunique() == df["item_id"].nunique()  # 12 distinct buckets
    n_boot, seed = 100, 4
    est = ag.krippendorff_alpha(df, n_boot=n_boot, seed=seed)
    U = np.random.default_rng(seed).random((n_boot, ag.N_BUCKETS))
    items = sorted(df["item_id"].unique(), key=lambda i: int(ag.item_bucket(pd.Series([i]))[0]))
    K = len(items)
    reps = []
    for b in range(n_boot):
        picks = [items[int(np.floor(U[b, j] * K))] for j in range(K)]
        parts = [df[df.item_id == it].assign(item_id=f"{it}#{k}") for k, it in enumerate(picks)]
        reps.append(ag.krippendorff_alpha(pd.concat(parts), n_boot=0).value)
    lo, hi = np.nanquantile(np.array(reps, dtype=float), [0.025, 0.975])
    assert est.ci_low == pytest.approx(lo, abs=1e-12) and est.ci_high == pytest.approx(hi, abs=1e-12)


def test_interval_shrinks_with_more_items():
    rng = np.random.default_rng(0)

    def sample(n):
        truth = rng.integers(0, 4, n)
        recs = [(f"i{i}", f"a{j}", int(truth[i] if rng.random() < 0.8 else rng.integers(0, 4)))
                for i in range(n) for j in range(3)]
        return pd.DataFrame(recs, columns=["item_id", "annotator_id", "label"])

    small, large = ag.fleiss_kappa(sample(100), n_boot=300), ag.fleiss_kappa(sample(5000), n_boot=300)
    assert (large.ci_high - large.ci_low) < 0.5 * (small.ci_high - small.ci_low)
    # generating model: a label is right w.p. 0.85, each wrong class 0.05; P(agree) = 0.73, P_e = 0.25,
    # so the population kappa is (0.73 - 0.25) / 0.75 = 0.64
    assert large.ci_low - 0.02 < 0.64 < large.ci_high + 0.02


def test_bucket_stats_sums():
    df = wide_to_long(KRIPP_2011)
    s = ag.bucket_stats(df)
    assert s["n_pairable"].sum() == 40 and s["n_single"].sum() == 1
    assert s["prop_sum"].sum() == pytest.approx(11)
    c = ag.coincidence_stats(df)
    assert c["o"].sum() == pytest.approx(40)  # coincidences sum to the number of pairable values
    diag = c[c.label_c == c.label_k].groupby("label_c")["o"].sum()
    per = s.groupby("label")["o_cc"].sum()
    assert np.allclose(diag.sort_index().to_numpy(), per.sort_index().to_numpy())


def test_per_category_identity_with_overall_fleiss():
    # With constant raters, Fleiss' kappa is the p_c q_c - weighted mean of the category kappas (Fleiss 1971).
    df = counts_to_long(FLEISS_WIKIPEDIA)
    per = ag.per_category_agreement(df, n_boot=100)
    p = df["label"].value_counts(normalize=True).sort_index().to_numpy()
    w = p * (1 - p)
    assert (w * per.sort_values("label")["fleiss_kappa"].to_numpy()).sum() / w.sum() == pytest.approx(
        ag.fleiss_kappa(df, n_boot=0).value, abs=1e-12)
    assert list(per.columns) == ["label", "specific_agreement", "ci_low", "ci_high", "fleiss_kappa", "kappa_ci_low",
                                 "kappa_ci_high", "n_annotations", "n_items", "reason"]
    assert ((per.ci_low <= per.specific_agreement) & (per.specific_agreement <= per.ci_high)).all()


def test_specific_agreement_two_raters_formula():
    # two raters: specific agreement of c = 2 n_cc / (n_c. + n_.c) (positive specific agreement, Fleiss 1975)
    a, b = table_to_pairs(CONT3X3_ABSTRACTORS)
    per = ag.per_category_agreement(two_rater_frame(a, b), n_boot=0).set_index("label")
    t = np.array(CONT3X3_ABSTRACTORS)
    for c in range(3):
        assert per.loc[c, "specific_agreement"] == pytest.approx(2 * t[c, c] / (t[c].sum() + t[:, c].sum()))


# ------------------------------------------------------------------------------------------ performance

def _big_frame(n_items: int, k: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 10, n_items)
    lab = np.repeat(truth, k)
    flip = rng.random(len(lab)) < 0.2
    lab[flip] = rng.integers(0, 10, flip.sum())
    return pd.DataFrame({"item_id": "it" + pd.Series(np.repeat(np.arange(n_items), k)).astype(str),
                         "annotator_id": "ann_" + pd.Series(rng.integers(0, 40, len(lab))).astype(str),
                         "label": "c" + pd.Series(lab).astype(str)})


def test_frame_path_is_vectorised():
    # 100k items x 3 annotators with 1000 bootstrap replicates in well under the per-test budget
    # (1M items x 3 is timed in the report; here a 10x smaller smoke bound keeps CI fast on 2 cores).
    import time

    df = _big_frame(100_000)
    t = time.perf_counter()
    est = ag.krippendorff_alpha(df, n_boot=1000)
    assert time.perf_counter() - t < 5.0
    # 80 % of labels kept, else uniform over 10: P(agree) per pair = 0.82 + ... ; alpha close to 0.64
    assert est.value == pytest.approx(0.64, abs=0.01) and est.ci_high - est.ci_low < 0.01


# ------------------------------------------------------------------------------------------ CLI

@pytest.fixture
def label_csv(tmp_path):
    df = wide_to_long(KRIPP_2011)
    df["half"] = np.where(df["item_id"].str[1:].astype(int) <= 6, "h1", "h2")
    path = tmp_path / "labels.csv"
    df.to_csv(path, index=False)
    return path, df


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_json_object(label_csv, capsys):
    path, df = label_csv
    code, out, _ = _run(capsys, ["agreement", str(path), "--metric", "krippendorff", "--level", "interval",
                                 "--json", "--n-boot", "200", "--seed", "3"])
    assert code == 0
    res = json.loads(out)
    assert set(res) == {"metric", "level", "value", "ci_low", "ci_high", "n_items", "n_annotations"}
    ref = ag.krippendorff_alpha(df, level="interval", n_boot=200, seed=3)
    assert res["metric"] == "krippendorff" and res["level"] == "interval"
    assert res["value"] == pytest.approx(0.849, abs=5e-4)  # Krippendorff (2011) interval alpha
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((ref.ci_low, ref.ci_high), abs=1e-12)
    assert (res["n_items"], res["n_annotations"]) == (11, 40)


def test_cli_by_group_and_table(label_csv, capsys):
    path, df = label_csv
    code, out, _ = _run(capsys, ["agreement", str(path), "--metric", "fleiss", "--by", "half", "--json",
                                 "--n-boot", "0"])
    assert code == 0
    res = json.loads(out)
    assert [r["group"] for r in res] == ["h1", "h2"]
    for r in res:
        part = df[df.half == r["group"]]
        assert r["value"] == pytest.approx(ag.fleiss_kappa(part.assign(label=part.label.astype(str)),
                                                           n_boot=0).value, abs=1e-12)
        assert r["ci_low"] is None  # n_boot 0: no interval
    code, out, _ = _run(capsys, ["agreement", str(path), "--metric", "gwet_ac1", "--n-boot", "50"])
    assert code == 0 and "Gwet's AC1" in out and "n_items" in out


def test_cli_undefined_reason_and_cohen_weights(tmp_path, capsys):
    p = tmp_path / "two.csv"
    two_rater_frame([1, 2, 3, 3, 2], [1, 3, 3, 2, 2]).to_csv(p, index=False)
    code, out, _ = _run(capsys, ["agreement", str(p), "--metric", "cohen", "--weights", "quadratic", "--json",
                                 "--n-boot", "0"])
    assert code == 0
    res = json.loads(out)
    assert res["weights"] == "quadratic"
    assert res["value"] == pytest.approx(ag.cohens_kappa([1, 2, 3, 3, 2], [1, 3, 3, 2, 2], weights="quadratic",
                                                         n_boot=0).value)
    one = tmp_path / "one.csv"
    two_rater_frame(["a", "a"], ["a", "a"]).to_csv(one, index=False)
    code, out, _ = _run(capsys, ["agreement", str(one), "--json", "--n-boot", "0"])
    res = json.loads(out)
    assert code == 0 and res["value"] is None and "same category" in res["reason"]


@pytest.mark.parametrize("argv_extra, message", [
    (["--metric", "kappa"], "unknown metric 'kappa'"),
    (["--level", "interval"], "labels must be numeric for --level interval: 'abc' at row 5"),
    (["--metric", "cohen"], "exactly two annotators"),
])
def test_cli_errors_exit_2_one_line(tmp_path, capsys, argv_extra, message):
    df = pd.DataFrame({"item_id": ["a", "a", "b", "b", "c", "c"], "annotator_id": ["x", "y", "x", "y", "x", "z"],
                       "label": ["1", "2", "2", "2", "abc", "1"]})
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False)
    code, out, err = _run(capsys, ["agreement", str(p), *argv_extra])
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_missing_column_and_file(tmp_path, capsys):
    p = tmp_path / "nolabel.csv"
    pd.DataFrame({"item_id": ["a"], "annotator_id": ["x"]}).to_csv(p, index=False)
    code, _, err = _run(capsys, ["agreement", str(p)])
    assert code == 2 and "missing column(s) 'label'" in err and err.count("\n") == 1
    code, _, err = _run(capsys, ["agreement", str(tmp_path / "nope.csv")])
    assert code == 2 and "nope.csv" in err


def test_cli_parquet(tmp_path, capsys):
    p = tmp_path / "labels.parquet"
    df = wide_to_long(KRIPP_2011)
    df.to_parquet(p)
    code, out, _ = _run(capsys, ["agreement", str(p), "--metric", "krippendorff", "--level", "ordinal", "--json",
                                 "--n-boot", "0"])
    assert code == 0 and json.loads(out)["value"] == pytest.approx(0.815, abs=5e-4)  # Krippendorff (2011)
