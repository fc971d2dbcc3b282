"""Consensus: majority vote and Dawid-Skene (analytics.consensus) and the ``labelqa consensus`` command."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.cli import main
from analytics.consensus import DawidSkene, annotator_skill_from_db, compare_with_gold, majority_vote
from analytics.filters import Filters
from conftest import dataset

# crowd-kit 1.4 (the test-only reference) uses pandas keywords that pandas 3 deprecates; not our code's warnings.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:crowdkit", "ignore::FutureWarning:crowdkit")


def _load(name: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    path = dataset(name)
    ann = pd.read_csv(path / "annotations.csv", dtype={"item_id": str, "annotator_id": str})
    gold = pd.read_csv(path / "gold.csv", dtype={"item_id": str}) if (path / "gold.csv").exists() else None
    return ann, gold


def _accuracy(labels: pd.DataFrame, gold: pd.DataFrame) -> float:
    g = gold.set_index("item_id")["label"]
    return float((labels.set_index("item_id")["label"].reindex(g.index) == g).mean())


def _simulate(n_items=300, accuracies=(0.9, 0.85, 0.8, 0.2, 0.2), k=4, per_item=5, seed=0):
    """Items with a known true class; annotator a is right with probability accuracies[a], else uniform wrong."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_items)
    rows = []
    for a, acc in enumerate(accuracies[:per_item]):
        right = rng.random(n_items) < acc
        wrong = (truth + rng.integers(1, k, n_items)) % k
        rows.append(pd.DataFrame({"item_id": [f"i{i:04d}" for i in range(n_items)], "annotator_id": f"w{a}",
                                  "label": np.where(right, truth, wrong)}))
    df = pd.concat(rows, ignore_index=True)
    gold = pd.DataFrame({"item_id": [f"i{i:04d}" for i in range(n_items)], "label": truth})
    return df, gold


# ----------------------------------------------------------------------------------------------------------------
# Majority vote
# ----------------------------------------------------------------------------------------------------------------
TINY = pd.DataFrame({
    "item_id":      ["a", "a", "a", "b", "b", "c", "c", "c", "c"],
    "annotator_id": ["u", "v", "w", "u", "v", "u", "u", "v", "w"],   # u labels c twice: two votes
    "label":        ["y", "x", "y", "y", "x", "z", "z", "x", "x"],
})


def test_majority_vote_known_answers_and_tie_rules():
    lowest = majority_vote(TINY, tie="lowest").set_index("item_id")
    assert lowest.loc["a", "label"] == "y" and lowest.loc["a", "confidence"] == pytest.approx(2 / 3)
    assert lowest.loc["a", "n_votes"] == 3 and not lowest.loc["a", "tied"]
    # b: x vs y, one vote each -> tie; c: z z (replicates count) vs x x -> tie
    assert lowest.loc["b", "tied"] and lowest.loc["b", "label"] == "x" and lowest.loc["b", "confidence"] == 0.5
    assert lowest.loc["c", "tied"] and lowest.loc["c", "label"] == "x" and lowest.loc["c", "n_votes"] == 4
    none = majority_vote(TINY, tie="none").set_index("item_id")
    assert none.loc["a", "label"] == "y"
    assert pd.isna(none.loc["b", "label"]) and pd.isna(none.loc["c", "label"])
    assert list(majority_vote(TINY).columns) == ["item_id", "label", "confidence", "n_votes", "tied"]


def test_majority_vote_random_ties_are_seeded_and_not_always_lowest():
    n = 400
    df = pd.DataFrame({"item_id": np.repeat(np.arange(n), 2), "annotator_id": np.tile(["u", "v"], n),
                       "label": np.tile(["p", "q"], n)})
    r1 = majority_vote(df, tie="random", seed=3)
    r2 = majority_vote(df.sample(frac=1, random_state=1), tie="random", seed=3)
    pd.testing.assert_frame_equal(r1, r2)                       # same seed, any row order: same draw
    share_q = (r1["label"] == "q").mean()
    assert 0.4 < share_q < 0.6                                  # fair coin: 400 draws, +-0.1 is > 4 sd
    assert r1["tied"].all()
    assert not (majority_vote(df, tie="random", seed=4)["label"] == r1["label"]).all()


def test_majority_vote_rejects_bad_input():
    with pytest.raises(ValueError, match="tie must be one of"):
        majority_vote(TINY, tie="first")
    with pytest.raises(ValueError, match="missing column"):
        majority_vote(TINY.drop(columns="label"))
    with pytest.raises(ValueError, match="empty"):
        majority_vote(TINY.iloc[:0])


def test_majority_vote_matches_crowdkit_on_rte():
    ck = pytest.importorskip("crowdkit.aggregation")
    ann, _ = _load("snow2008_rte")
    mv = majority_vote(ann, tie="lowest").set_index("item_id")
    theirs = ck.MajorityVote().fit_predict(ann.rename(columns={"item_id": "task", "annotator_id": "worker"}))
    assert int(mv["tied"].sum()) == 65                          # shared/datasets/README.md: "RTE: 65 items" tied
    # crowd-kit breaks ties by idxmax over its label columns in order of appearance (here 1 before 0), so only
    # untied items must agree; on the 65 ties it picks label 1 and tie='lowest' picks 0.
    same = mv["label"].reindex(theirs.index) == theirs
    tied = mv["tied"].reindex(theirs.index)
    assert same[~tied].all()
    assert (~same[tied]).sum() == 65 and (mv.loc[tied[tied].index, "label"] == 0).all()


# ----------------------------------------------------------------------------------------------------------------
# Dawid-Skene: reference implementations
# ----------------------------------------------------------------------------------------------------------------
def _naive_dawid_skene(df: pd.DataFrame, n_iter: int):
    """Dawid & Skene (1979) EM written directly from the paper's equations with Python loops over items and
    annotators (the independent reference), with the same 1e-10 floor on used (annotator, label) counts."""
    items = sorted(df["item_id"].unique())
    workers = sorted(df["annotator_id"].unique())
    classes = sorted(df["label"].unique())
    k = len(classes)
    obs = {i: [] for i in items}
    for i, w, l in df[["item_id", "annotator_id", "label"]].itertuples(index=False):
        obs[i].append((workers.index(w), classes.index(l)))
    used = {(w, l) for o in obs.values() for (w, l) in o}
    t = np.zeros((len(items), k))
    for n, i in enumerate(items):                                    # majority vote shares
        for _, l in obs[i]:
            t[n, l] += 1
        t[n] /= t[n].sum()

    def m_step(t):
        pi = t.mean(axis=0)
        e = np.zeros((len(workers), k, k))
        for n, i in enumerate(items):
            for w, l in obs[i]:
                e[w, :, l] += t[n]
        for w in range(len(workers)):
            for l in range(k):
                if (w, l) in used:
                    e[w, :, l] = np.maximum(e[w, :, l], 1e-10)
            e[w] /= e[w].sum(axis=1, keepdims=True)
        return pi, e

    pi, e = m_step(t)
    for _ in range(n_iter):
        for n, i in enumerate(items):
            p = np.log(np.maximum(pi, 1e-10)).copy()
            for w, l in obs[i]:
                p += np.log(e[w, :, l])
            p = np.exp(p - p.max())
            t[n] = p / p.sum()
        pi, e = m_step(t)
    return t, pi, e


def test_dawid_skene_matches_naive_loop_implementation():
    df, _ = _simulate(n_items=60, accuracies=(0.8, 0.7, 0.6, 0.4), k=3, per_item=4, seed=5)
    df = df.sample(frac=0.8, random_state=2)                   # unequal coverage
    t, pi, e = _naive_dawid_skene(df, n_iter=7)
    ds = DawidSkene(max_iter=7, tol=-math.inf).fit(df)
    assert ds.n_iter_ == 7 and not ds.converged_
    np.testing.assert_allclose(ds.posteriors_.to_numpy(), t, atol=1e-12)
    # ds stores the M-step after the last E-step: the naive loop's final (pi, e) too
    np.testing.assert_allclose(ds.priors_.to_numpy(), pi, atol=1e-12)
    np.testing.assert_allclose(ds.confusions_, e, atol=1e-12)


def _ck(df):
    return df.rename(columns={"item_id": "task", "annotator_id": "worker"})


@pytest.mark.parametrize("name,n_iter", [("dawid_skene_1979", 30), ("bluebirds", 15)])
def test_dawid_skene_matches_crowdkit(name, n_iter):
    ck = pytest.importorskip("crowdkit.aggregation")
    ann, _ = _load(name)
    if name == "dawid_skene_1979":
        # observer 1 rated each patient 3 times (column replicate): each replicate is one annotation
        assert ann.groupby(["item_id", "annotator_id"]).size().max() == 3
    ann = ann[["item_id", "annotator_id", "label"]]
    ours = DawidSkene(max_iter=n_iter, tol=-math.inf).fit(ann)
    theirs = ck.DawidSkene(n_iter=n_iter, tol=-math.inf).fit(_ck(ann))     # same init (MV shares), same iterations
    post = theirs.probas_.reindex(index=ours.posteriors_.index, columns=ours.posteriors_.columns)
    # crowd-kit clips its returned probabilities at 1e-10 (_evidence_lower_bound), hence atol 1e-9
    np.testing.assert_allclose(ours.posteriors_.to_numpy(), post.to_numpy(), atol=1e-9)
    assert (ours.labels_.set_index("item_id")["label"] == theirs.labels_.reindex(ours.posteriors_.index)).all()
    np.testing.assert_allclose(ours.priors_.to_numpy(), theirs.priors_.reindex(ours.classes_).to_numpy(), atol=1e-9)
    # crowd-kit's errors_: rows (worker, observed label), columns true label; only pairs that occur
    ours_e = ours.confusions_long().pivot_table(index=["annotator_id", "label"], columns="true_label",
                                                values="probability")
    theirs_e = theirs.errors_.reindex(columns=ours.classes_)
    np.testing.assert_allclose(ours_e.reindex(theirs_e.index).to_numpy(), theirs_e.to_numpy(), atol=1e-9)


def test_dawid_skene_1979_fit_is_sane():
    ann, _ = _load("dawid_skene_1979")
    ds = DawidSkene().fit(ann)
    assert ds.converged_ and ds.n_iter_ < 100
    assert ds.posteriors_.shape == (45, 4)                      # Dawid & Skene 1979 Table 1: 45 patients, 4 classes
    np.testing.assert_allclose(ds.posteriors_.sum(axis=1), 1.0)
    np.testing.assert_allclose(ds.confusions_.sum(axis=2), 1.0)
    assert ds.priors_.sum() == pytest.approx(1.0)
    # estimated accuracy = sum_k prior_k * confusion[a, k, k]
    k = np.arange(4)
    np.testing.assert_allclose(ds.annotator_accuracy_.to_numpy(),
                               (ds.confusions_[:, k, k] * ds.priors_.to_numpy()).sum(axis=1))
    assert ds.annotator_skill_.set_index("annotator_id")["n_annotations"].loc["1"] == 135   # 45 patients x 3


def test_em_log_likelihood_is_non_decreasing():
    for df in (_load("dawid_skene_1979")[0], _simulate(seed=11)[0], _load("zheng2017_face")[0]):
        ds = DawidSkene(max_iter=60, tol=-math.inf).fit(df)
        ll = np.asarray(ds.log_likelihood_)
        assert len(ll) == 60
        assert (np.diff(ll) >= -1e-8 * np.abs(ll[:-1])).all()   # EM: each iteration cannot lower the likelihood
        assert ll[-1] > ll[0]


def test_convergence_flags():
    ann, _ = _load("dawid_skene_1979")
    short = DawidSkene(max_iter=2).fit(ann)
    assert short.n_iter_ == 2 and not short.converged_
    full = DawidSkene(max_iter=500, tol=1e-6).fit(ann)
    assert full.converged_ and full.n_iter_ < 500
    with pytest.raises(ValueError, match="max_iter"):
        DawidSkene(max_iter=0)
    with pytest.raises(ValueError, match="init"):
        DawidSkene(init="random")


def test_planted_spammers_are_found():
    df, gold = _simulate(n_items=400, accuracies=(0.9, 0.85, 0.8, 0.25, 0.25), k=4, seed=1)
    ds = DawidSkene().fit(df)
    acc = ds.annotator_accuracy_
    assert acc[["w3", "w4"]].max() < acc[["w0", "w1", "w2"]].min()
    # the gold-free estimate is close to the planted accuracy (400 items per annotator: sd ~0.02)
    np.testing.assert_allclose(acc.to_numpy(), [0.9, 0.85, 0.8, 0.25, 0.25], atol=0.07)
    assert _accuracy(ds.labels_, gold) > _accuracy(majority_vote(df), gold)


# ----------------------------------------------------------------------------------------------------------------
# Invariants (hypothesis)
# ----------------------------------------------------------------------------------------------------------------
@st.composite
def _annotations(draw):
    n_items = draw(st.integers(3, 15))
    n_workers = draw(st.integers(2, 5))
    k = draw(st.integers(2, 4))
    rows = draw(st.lists(st.tuples(st.integers(0, n_items - 1), st.integers(0, n_workers - 1), st.integers(0, k - 1)),
                         min_size=n_items, max_size=60))
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]).assign(
        item_id=lambda d: "i" + d["item_id"].astype(str), annotator_id=lambda d: "w" + d["annotator_id"].astype(str))


@settings(max_examples=30, deadline=None)
@given(_annotations(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(df, rnd):
    shuffled = df.sample(frac=1, random_state=rnd.randint(0, 10_000))
    for tie in ("lowest", "random", "none"):
        pd.testing.assert_frame_equal(majority_vote(df, tie=tie), majority_vote(shuffled, tie=tie))
    a = DawidSkene(max_iter=5, tol=-math.inf).fit(df)
    b = DawidSkene(max_iter=5, tol=-math.inf).fit(shuffled)
    np.testing.assert_allclose(a.posteriors_.to_numpy(), b.posteriors_.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(a.confusions_, b.confusions_, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(_annotations(), st.permutations(["p", "q", "r", "s"]))
def test_relabelling_classes_permutes_results(df, names):
    mapping = dict(zip(range(4), names))
    renamed = df.assign(label=df["label"].map(mapping))
    mv, mv2 = majority_vote(df, tie="none"), majority_vote(renamed, tie="none")
    assert (mv2["label"].astype(object).where(mv2["label"].notna(), None).tolist()
            == [None if pd.isna(x) else mapping[x] for x in mv["label"]])
    np.testing.assert_allclose(mv["confidence"], mv2["confidence"])
    a = DawidSkene(max_iter=5, tol=-math.inf).fit(df)
    b = DawidSkene(max_iter=5, tol=-math.inf).fit(renamed)
    post_b = b.posteriors_[[mapping[c] for c in a.posteriors_.columns]]
    np.testing.assert_allclose(a.posteriors_.to_numpy(), post_b.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(a.annotator_accuracy_.to_numpy(), b.annotator_accuracy_.to_numpy(), atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(_annotations())
def test_unanimous_items_get_their_label(df):
    unanimous = df.groupby("item_id")["label"].transform("nunique") == 1
    mv = majority_vote(df).set_index("item_id")
    first = df[unanimous].groupby("item_id")["label"].first()
    assert (mv.loc[first.index, "label"] == first).all()
    assert (mv.loc[first.index, "confidence"] == 1.0).all()


# ----------------------------------------------------------------------------------------------------------------
# Real crowd data: DS vs MV accuracy, and gold-free skill vs gold accuracy
# ----------------------------------------------------------------------------------------------------------------
REAL = ["bluebirds", "snow2008_rte", "snow2008_temp", "snow2008_wsd", "zheng2017_product", "zheng2017_dog",
        "zheng2017_face"]


@pytest.mark.parametrize("name", REAL)
def test_dawid_skene_at_least_as_accurate_as_majority_vote(name):
    ann, gold = _load(name)
    mv = _accuracy(majority_vote(ann, tie="lowest"), gold)      # tie rule: lowest label (crowd-kit's idxmax)
    ds = _accuracy(DawidSkene().fit(ann).labels_, gold)
    assert ds >= mv


def test_product_accuracies_match_published_values():
    ann, gold = _load("zheng2017_product")
    mv = _accuracy(majority_vote(ann, tie="lowest"), gold)
    ds = _accuracy(DawidSkene().fit(ann).labels_, gold)
    assert mv == pytest.approx(0.897, abs=0.003)   # crowd-kit paper, arXiv 2109.08584, D_Product: MV ~0.897
    assert ds == pytest.approx(0.940, abs=0.003)   # ibid., D_Product: DS ~0.940


# Gold accuracies of annotators with >= 10 gold annotations are themselves noisy (Wilson half-width up to ~0.25
# at n = 10), which caps the attainable rank correlation well below 1; rho > 0.6 asks for a strong monotone
# association. Measured (min_gold = 10): bluebirds 0.97, rte 0.76, temp 0.76, product 0.74, dog 0.83. Not
# asserted: snow2008_wsd (0.44; nearly all annotators near-perfect, ties at the ceiling) and zheng2017_face (0.13,
# n = 25 annotators; gold accuracy there is 0.6-0.7 for most workers).
@pytest.mark.parametrize("name", ["bluebirds", "snow2008_rte", "snow2008_temp", "zheng2017_product", "zheng2017_dog"])
def test_estimated_skill_tracks_gold_accuracy(name):
    ann, gold = _load(name)
    cmp = compare_with_gold(DawidSkene().fit(ann), gold, min_gold=10)
    assert cmp.spearman.n >= 25
    assert cmp.spearman.value > 0.6 and cmp.spearman.ci_low > 0.3
    t = cmp.table
    assert list(t.columns) == ["annotator_id", "estimated_accuracy", "gold_accuracy", "gold_ci_low", "gold_ci_high",
                               "n_gold", "n_annotations"]
    assert (t["n_gold"] <= t["n_annotations"]).all()
    ok = t["n_gold"] > 0
    assert (t["gold_ci_low"][ok] <= t["gold_accuracy"][ok] + 1e-12).all()
    assert (t["gold_accuracy"][ok] <= t["gold_ci_high"][ok] + 1e-12).all()


def test_compare_with_gold_counts_and_errors():
    df, gold = _simulate(n_items=50, seed=2)
    ds = DawidSkene().fit(df)
    cmp = compare_with_gold(ds, gold.iloc[:20], min_gold=5)
    t = cmp.table.set_index("annotator_id")
    assert (t["n_gold"] == 20).all()
    truth = gold.set_index("item_id")["label"]
    w0 = df[(df.annotator_id == "w0") & df.item_id.isin(gold.item_id[:20])]
    assert t.loc["w0", "gold_accuracy"] == pytest.approx((w0.label.to_numpy() == truth[w0.item_id].to_numpy()).mean())
    with pytest.raises(ValueError, match="not fitted"):
        compare_with_gold(DawidSkene(), gold)
    with pytest.raises(ValueError, match="more than one row"):
        compare_with_gold(ds, pd.concat([gold, gold]))


# ----------------------------------------------------------------------------------------------------------------
# Database helper (demo data)
# ----------------------------------------------------------------------------------------------------------------
def test_annotator_skill_from_db_on_demo(demo_engine):
    skill = annotator_skill_from_db(demo_engine, Filters("streetscene"))
    assert set(skill["annotator_id"]) >= {f"ann_{i:02d}" for i in range(1, 41)}
    assert skill.attrs["converged"]
    # ann_07's accuracy drops from week 14 (TRUTHS['annotator_drift']): the lowest gold-free skill estimates
    assert "ann_07" in set(skill.nsmallest(3, "estimated_accuracy")["annotator_id"])
    rho = skill.attrs["spearman"]
    assert rho.n >= 30 and rho.value > 0.5
    assert (skill["n_gold"] <= skill["n_annotations"] * 2).all()


def test_annotator_skill_from_db_empty_scope(demo_engine):
    import datetime as dt

    with pytest.raises(ValueError, match="two or more annotations"):
        annotator_skill_from_db(demo_engine, Filters("streetscene", date_from=dt.date(2030, 1, 1)))


# ----------------------------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------------------------
def test_cli_majority(tmp_path, capsys):
    src = tmp_path / "ann.csv"
    TINY.to_csv(src, index=False)
    out, ann = tmp_path / "out.csv", tmp_path / "a.csv"
    assert main(["consensus", str(src), "--method", "majority", "--out", str(out), "--annotators-out", str(ann)]) == 0
    got = pd.read_csv(out, dtype=str)
    assert list(got.columns) == ["item_id", "label", "confidence"]
    assert got.set_index("item_id")["label"].to_dict() == {"a": "y", "b": "x", "c": "x"}
    a = pd.read_csv(ann).set_index("annotator_id")
    assert list(a.columns) == ["estimated_accuracy", "n_annotations"]
    # agreement with the consensus: u: y(a) ok, y(b) no, z z (c) no -> 1/4; v: x, x, x -> a no, b ok, c ok -> 2/3
    assert a.loc["u", "estimated_accuracy"] == pytest.approx(1 / 4) and a.loc["u", "n_annotations"] == 4
    assert a.loc["v", "estimated_accuracy"] == pytest.approx(2 / 3)
    assert "2 tied item(s)" in capsys.readouterr().out


def test_cli_dawid_skene_and_ids_stay_text(tmp_path):
    df, _ = _simulate(n_items=40, seed=3)
    df = df.assign(item_id="00" + df["item_id"].str[1:])         # leading zeros must survive
    src = tmp_path / "ann.csv"
    df.to_csv(src, index=False)
    out, ann = tmp_path / "out.csv", tmp_path / "a.csv"
    assert main(["consensus", str(src), "--method", "dawid_skene", "--out", str(out), "--annotators-out", str(ann),
                 "--max-iter", "50"]) == 0
    got = pd.read_csv(out, dtype={"item_id": str, "label": str})
    assert got["item_id"].str.startswith("00").all() and len(got) == 40
    ref = DawidSkene(max_iter=50).fit(df.astype({"label": str}))
    assert (got["label"].to_numpy() == ref.labels_["label"].to_numpy()).all()
    np.testing.assert_allclose(got["confidence"], ref.labels_["confidence"])
    a = pd.read_csv(ann)
    np.testing.assert_allclose(a["estimated_accuracy"], ref.annotator_accuracy_.to_numpy())


@pytest.mark.parametrize("args,message", [
    (["--out", "{tmp}/o.csv"], "no such file"),
    (["{bad}", "--out", "{tmp}/o.csv"], "missing column"),
    (["{src}", "--out", "{tmp}/nodir/o.csv"], "cannot write"),
    (["{src}", "--out", "{tmp}/o.csv", "--method", "dawid_skene", "--max-iter", "0"], "max-iter"),
    (["{empty}", "--out", "{tmp}/o.csv"], "cannot read|no labelled rows"),
])
def test_cli_errors_exit_2_with_one_line(tmp_path, capsys, args, message):
    src, bad, empty = tmp_path / "ann.csv", tmp_path / "bad.csv", tmp_path / "empty.csv"
    TINY.to_csv(src, index=False)
    TINY.drop(columns="annotator_id").to_csv(bad, index=False)
    empty.write_text("")
    argv = [a.format(tmp=tmp_path, src=src, bad=bad, empty=empty) for a in args]
    if args[0].startswith("--"):
        argv = [str(tmp_path / "missing.csv")] + argv
    assert main(["consensus", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("labelqa consensus: error:")
    import re
    assert re.search(message, err)
