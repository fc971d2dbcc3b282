"""The QA-sample planner (issue 9 item 10): already-checked items are left out, flagged strata are over-sampled,
every item carries its stratum, inclusion probability and weight, and the Horvitz-Thompson estimate from a
reviewed sample drawn with those probabilities is unbiased for the population's accuracy."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.accuracy import (
    draw_qa_strata_sample,
    plan_qa_strata,
    qa_strata_from_db,
    reweighted_accuracy,
    systematic_keys,
)
from analytics.db import make_engine
from analytics.filters import Filters
from dbutil import load_tables


# ----------------------------------------------------------------------------------------------------------------
# a small hand-built project: 60 items; i00-i39 class 'a', i40-i59 class 'b'. Two annotators per item:
#   u1 (team t1) + u2 (team t2) on even items, u1 + u3 (t2, the "drifting" one) on odd items; everybody labels
#   correctly. Gold on i00-i09 and i40-i44; a review of one annotation of i10-i14 and i45-i46.
#   Attribute lighting = night on i50-i59 (b items) else day: key 'b|team=t2, lighting=night' flags i50-i59 (u2 and
#   u3 are both in team t2); u3 ('drift') flags the other odd items; a flag 'systematic' wins over 'drift'.
# ----------------------------------------------------------------------------------------------------------------
ITEMS = [f"i{k:02d}" for k in range(60)]
GOLD = [f"i{k:02d}" for k in (*range(10), *range(40, 45))]
REVIEWED = [f"i{k:02d}" for k in (*range(10, 15), 45, 46)]


def planner_tables() -> dict[str, pd.DataFrame]:
    cls = {it: ("a" if k < 40 else "b") for k, it in enumerate(ITEMS)}
    t0 = dt.datetime(2026, 5, 25, 9)
    rows = []
    for k, it in enumerate(ITEMS):
        for u in ("u1", "u2" if k % 2 == 0 else "u3"):
            rows.append({"annotation_id": f"{it}-{u}", "item_id": it, "annotator_id": u, "label": cls[it],
                         "created_at": t0 + dt.timedelta(hours=k), "batch_id": "b1"})
    ann = pd.DataFrame(rows)
    reviews = pd.DataFrame({"review_id": [f"r{k}" for k in range(len(REVIEWED))],
                            "annotation_id": [f"{it}-u1" for it in REVIEWED], "reviewer_id": "rev",
                            "verdict": "accepted", "corrected_label": None, "created_at": t0})
    return {
        "projects": pd.DataFrame({"project_id": ["p1"], "name": ["P1"], "client": ["C"]}),
        "annotators": pd.DataFrame({"annotator_id": ["u1", "u2", "u3"], "team": ["t1", "t2", "t2"]}),
        "items": pd.DataFrame({"item_id": ITEMS, "project_id": "p1", "split": "train"}),
        "item_attributes": pd.DataFrame({"item_id": ITEMS, "key": "lighting",
                                         "value": ["night" if k >= 50 else "day" for k in range(60)]}),
        "annotations": ann,
        "gold_labels": pd.DataFrame({"item_id": GOLD, "label": [cls[i] for i in GOLD]}),
        "reviews": reviews,
    }


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    url = f"duckdb:///{tmp_path_factory.mktemp('planner') / 'p.duckdb'}"
    load_tables(url, planner_tables())
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()


F = Filters(project_id="p1")
KEYS = ["b|team=t2, lighting=night"]
DRIFT = ["u3"]


def test_strata_counts_checked_and_flags(engine):
    st = qa_strata_from_db(engine, F, KEYS, DRIFT).set_index(["label", "flag"])
    # a: 20 odd items annotated by u3 (drift), 20 even (none); gold i00-i09, reviewed i10-i14
    assert st.loc[("a", "drift"), "items"] == 20 and st.loc[("a", "none"), "items"] == 20
    assert st.loc[("a", "drift"), "items_checked"] + st.loc[("a", "none"), "items_checked"] == 15
    # b: night items i50..i59 are 'systematic' (10), odd i41..i49 drift (5), even i40..i48 none (5)
    assert st.loc[("b", "systematic"), "items"] == 10
    assert st.loc[("b", "drift"), "items"] == 5 and st.loc[("b", "none"), "items"] == 5
    assert int(st["items_with_gold"].sum()) == len(GOLD) and int(st["items_reviewed"].sum()) == len(REVIEWED)
    assert (st["population"] == st["items"] - st["items_checked"]).all()
    assert int(st["population"].sum()) == 60 - len(GOLD) - len(REVIEWED)
    every = qa_strata_from_db(engine, F, KEYS, DRIFT, include_checked=True)
    assert (every["population"] == every["items"]).all()


def test_checked_items_are_never_drawn_by_default(engine):
    st = qa_strata_from_db(engine, F, KEYS, DRIFT)
    plan = plan_qa_strata(st, min_rate=1.0)  # ask for every eligible item
    sample = draw_qa_strata_sample(engine, F, plan, seed=1, systematic_keys=KEYS, drift_annotators=DRIFT)
    checked = set(GOLD) | set(REVIEWED)
    assert set(sample["item_id"]) == set(ITEMS) - checked
    assert not sample["already_gold"].any() and not sample["already_reviewed"].any()
    # with include_checked the checked items come back, and say so
    st_all = qa_strata_from_db(engine, F, KEYS, DRIFT, include_checked=True)
    allp = draw_qa_strata_sample(engine, F, plan_qa_strata(st_all, min_rate=1.0), seed=1, systematic_keys=KEYS,
                                 drift_annotators=DRIFT, include_checked=True)
    assert set(allp["item_id"]) == set(ITEMS)
    assert set(allp.loc[allp["already_gold"], "item_id"]) == set(GOLD)
    assert set(allp.loc[allp["already_reviewed"], "item_id"]) == set(REVIEWED)


def test_export_carries_stratum_probability_weight_and_attributes(engine):
    st = qa_strata_from_db(engine, F, KEYS, DRIFT)
    plan = plan_qa_strata(st, min_rate=0.2, oversample=3)
    s = draw_qa_strata_sample(engine, F, plan, seed=7, systematic_keys=KEYS, drift_annotators=DRIFT)
    assert list(s.columns[:10]) == ["item_id", "class", "stratum", "why_oversampled", "inclusion_probability",
                                    "weight", "stratum_population", "stratum_sample", "already_gold",
                                    "already_reviewed"]
    assert "attr_lighting" in s.columns
    assert set(s.loc[s["item_id"] >= "i50", "attr_lighting"]) <= {"night"}
    # per stratum: exactly n drawn, pi = n / N, weight = 1 / pi
    got = s.groupby("stratum").size()
    p = plan.set_index("stratum")
    assert (got == p.loc[got.index, "n"]).all() and int(p["n"].sum()) == len(s)
    np.testing.assert_allclose(s["inclusion_probability"], s["stratum_sample"] / s["stratum_population"])
    np.testing.assert_allclose(s["weight"] * s["inclusion_probability"], 1.0)
    # the same seed draws the same items; another seed other ones
    again = draw_qa_strata_sample(engine, F, plan, seed=7, systematic_keys=KEYS, drift_annotators=DRIFT)
    pd.testing.assert_frame_equal(s, again)


def test_flagged_strata_are_oversampled():
    strata = pd.DataFrame({"label": ["a", "a", "a", "b"], "flag": ["none", "drift", "systematic", "none"],
                           "population": [900, 60, 40, 200]})
    plan = plan_qa_strata(strata, min_rate=0.1, oversample=3.0, class_minimum={"b": 50}).set_index("stratum")
    # class a: base rate 100 / 1000 = 0.1 on the rest, 0.3 on the flagged strata
    assert plan.loc["a / rest of the class", "n"] == 90
    assert plan.loc["a / drifting annotator", "n"] == 18 and plan.loc["a / systematic confusion", "n"] == 12
    assert plan.loc["a / systematic confusion", "inclusion_probability"] == pytest.approx(0.3)
    assert pd.isna(plan.loc["a / rest of the class", "why"])
    assert plan.loc["a / drifting annotator", "why"].startswith("drifting annotator (3x")
    # class b is under its QA rate: raised from 20 to the 50 items it lacks
    assert plan.loc["b / rest of the class", "n"] == 50 and plan.loc["b / rest of the class", "why"] == "class under its QA rate"
    assert plan.loc["b / rest of the class", "weight"] == pytest.approx(4.0)
    assert systematic_keys(pd.DataFrame({"true_label": ["motorcycle", "x"], "label": ["bicycle", "y"],
                                         "concentrated_in": ["team=team_c, lighting=night", "team=(missing)"],
                                         "systematic": [True, True]})) == [
        "bicycle|team=team_c, lighting=night", "motorcycle|team=team_c, lighting=night"]


def test_horvitz_thompson_is_unbiased_on_a_known_population():
    """A known population of 3 strata with very different accuracies and sizes, sampled with very different
    inclusion probabilities (the flagged strata over-sampled): over many simulated reviews the mean of the
    reweighted estimate matches the true accuracy, the unweighted sample share does not, and the 95% interval
    covers the truth about 95% of the time."""
    rng = np.random.default_rng(2026)
    sizes = {"a / rest of the class": 5000, "a / drifting annotator": 300, "b / systematic confusion": 200}
    acc = {"a / rest of the class": 0.95, "a / drifting annotator": 0.70, "b / systematic confusion": 0.40}
    pop = {s: (rng.random(n) < acc[s]).astype(int) for s, n in sizes.items()}  # the fixed, known population
    truth = sum(v.sum() for v in pop.values()) / sum(sizes.values())
    strata = pd.DataFrame({"label": ["a", "a", "b"], "flag": ["none", "drift", "systematic"],
                           "population": list(sizes.values())})
    plan = plan_qa_strata(strata, min_rate=0.05, oversample=3.0, class_minimum={"b": 40}).set_index("stratum")
    assert plan["inclusion_probability"].max() / plan["inclusion_probability"].min() > 3  # unequal design
    ests, naive, cover = [], [], 0
    reps = 600
    for _ in range(reps):
        parts = []
        for s, row in plan.iterrows():
            idx = rng.choice(sizes[s], int(row["n"]), replace=False)
            parts.append(pd.DataFrame({"stratum": s, "correct": pop[s][idx], "weight": row["weight"]}))
        sample = pd.concat(parts)
        e = reweighted_accuracy(sample)
        ests.append(e.value)
        naive.append(sample["correct"].mean())
        cover += e.ci_low <= truth <= e.ci_high
    ests = np.array(ests)
    se_mean = ests.std(ddof=1) / np.sqrt(reps)
    assert abs(ests.mean() - truth) < 4 * se_mean + 1e-3
    assert abs(np.mean(naive) - truth) > 0.03  # the unweighted share is biased by the over-sampling
    assert 0.90 <= cover / reps <= 0.98  # a normal (Wald-type) interval: a little under 95% at these n
    # exact when every item is reviewed (a census): the HT estimate is the population share, interval of width 0
    census = pd.concat([pd.DataFrame({"stratum": s, "correct": v, "weight": 1.0}) for s, v in pop.items()])
    full = reweighted_accuracy(census)
    assert full.value == pytest.approx(truth) and full.ci_high - full.ci_low == pytest.approx(0.0, abs=1e-12)
    assert full.n == sum(sizes.values())


def test_reweighted_accuracy_rejects_bad_weights():
    with pytest.raises(ValueError, match="at least 1"):
        reweighted_accuracy(pd.DataFrame({"stratum": ["s"], "correct": [1], "weight": [0.5]}))
    assert not reweighted_accuracy(pd.DataFrame({"stratum": [], "correct": [], "weight": []})).defined
