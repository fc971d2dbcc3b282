"""The implementations the benchmark times: LabelQA's and the peers', grouped by metric.

Every implementation is an :class:`Impl` whose ``setup()`` does the imports (outside the timed region) and
returns ``run(frame) -> dict[str, float | np.ndarray]``. ``frame`` is the shared long annotation frame
``item_id, annotator_id, label`` (see ``benchmarks/data.py``); everything a user of that library must do to
get from it to an answer (factorising strings, pivoting to the library's matrix, building a count table)
happens inside ``run`` and is timed. The returned values are what the harness compares across
implementations (to 1e-9) before it reports any time.

Peers (as documented by each library):

* ``krippendorff.alpha`` (fast-krippendorff 0.9) takes a coders x units reliability matrix (the pivot is
  timed) or, the cheapest route it offers, a units x values count matrix (built with ``np.bincount``).
* ``statsmodels.stats.inter_rater``: ``aggregate_raters`` on a subjects x raters matrix then ``fleiss_kappa``
  (the documented route), or ``fleiss_kappa`` on a count table built with ``np.bincount``.
* ``sklearn.metrics.cohen_kappa_score`` on the two raters' aligned label vectors (pivot timed), with
  string labels as they come, and with integer codes.
* ``nltk.metrics.agreement.AnnotationTask`` on ``(coder, item, label)`` triples: ``alpha()``,
  ``pi()`` (Fleiss' kappa == multi-pi of Siegel & Castellan when every coder rates every item, so coders are
  the rater slots 1..3 of each item, as for ``aggregate_raters``) and ``kappa()`` (Cohen for two coders).
* ``crowdkit``: ``DawidSkene`` (EM on ``task, worker, label``) and ``metrics.data.alpha_krippendorff``.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["Impl", "IMPLS", "METRICS", "DS_ITERATIONS", "impls_for"]

Values = dict[str, Any]
Runner = Callable[[pd.DataFrame], Values]

# Dawid-Skene is compared at a fixed number of EM iterations (no early stop on either side), from the same
# initialisation, so both do identical work and must land on identical posteriors.
DS_ITERATIONS = 20


@dataclasses.dataclass(frozen=True)
class Impl:
    key: str            # unique id, "<metric>/<name>"
    metric: str         # krippendorff_alpha | fleiss_kappa | cohen_kappa | dawid_skene
    label: str          # shown in the table
    ours: bool
    setup: Callable[[], Runner]
    note: str = ""


# --------------------------------------------------------------------------- helpers (timed, inside run)

def _codes(s: pd.Series, sort: bool = True) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(s, sort=sort)
    return codes.astype(np.int64), pd.Index(uniques)


def _value_counts(df: pd.DataFrame) -> np.ndarray:
    """units x values count matrix, the cheapest input ``krippendorff``/``fleiss_kappa`` accept."""
    item, _ = _codes(df["item_id"], sort=False)
    lab, labels = _codes(df["label"])
    n, k = int(item.max()) + 1, len(labels)
    return np.bincount(item * k + lab, minlength=n * k).reshape(n, k)


def _slot(df: pd.DataFrame) -> pd.Series:
    """Rater slot 0, 1, 2 ... of each annotation within its item (order of appearance)."""
    return df.groupby("item_id", sort=False).cumcount()


def _pair_vectors(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The two raters' labels aligned by item, as a user gets them from the long frame."""
    wide = df.pivot(index="item_id", columns="annotator_id", values="label")
    a, b = sorted(wide.columns)
    return wide[a], wide[b]


def _posteriors(frame: pd.DataFrame) -> Values:
    """Posterior matrix (items sorted by id, classes sorted by name) and the MAP labels as codes."""
    frame = frame.sort_index().reindex(columns=sorted(frame.columns))
    p = frame.to_numpy(dtype=float)
    return {"posteriors": p, "map_label": p.argmax(axis=1).astype(np.int64)}


# --------------------------------------------------------------------------- ours (analytics)

def _ours_alpha() -> Runner:
    from analytics.agreement import krippendorff_alpha

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(krippendorff_alpha(df, n_boot=0).value)}
    return run


def _ours_alpha_ci() -> Runner:
    from analytics.agreement import agreement

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(agreement(df, metric="krippendorff", n_boot=1000, seed=0).value)}
    return run


def _ours_fleiss() -> Runner:
    from analytics.agreement import fleiss_kappa

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(fleiss_kappa(df, n_boot=0).value)}
    return run


def _ours_cohen() -> Runner:
    from analytics.agreement import cohens_kappa

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(cohens_kappa(df, n_boot=0).value)}
    return run


def _ours_ds() -> Runner:
    from analytics.consensus import DawidSkene

    def run(df: pd.DataFrame) -> Values:
        model = DawidSkene(max_iter=DS_ITERATIONS, tol=-np.inf).fit(df)
        return _posteriors(model.posteriors_)
    return run


# --------------------------------------------------------------------------- peers

def _kripp_pivot() -> Runner:
    import krippendorff

    def run(df: pd.DataFrame) -> Values:
        codes, _ = _codes(df["label"])
        rd = (pd.DataFrame({"coder": df["annotator_id"], "unit": df["item_id"], "v": codes.astype(float)})
              .pivot(index="coder", columns="unit", values="v").to_numpy())
        return {"value": float(krippendorff.alpha(reliability_data=rd, level_of_measurement="nominal"))}
    return run


def _kripp_counts() -> Runner:
    import krippendorff

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(krippendorff.alpha(value_counts=_value_counts(df), level_of_measurement="nominal"))}
    return run


def _nltk_task(coders: pd.Series, df: pd.DataFrame):
    from nltk.metrics.agreement import AnnotationTask

    return AnnotationTask(data=list(zip(coders.astype(str), df["item_id"], df["label"])))


def _nltk_alpha() -> Runner:
    import nltk.metrics.agreement  # noqa: F401  (import cost outside the timed region)

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(_nltk_task(df["annotator_id"], df).alpha())}
    return run


def _crowdkit_alpha() -> Runner:
    from crowdkit.metrics.data import alpha_krippendorff

    def run(df: pd.DataFrame) -> Values:
        answers = df.rename(columns={"item_id": "task", "annotator_id": "worker"})
        return {"value": float(alpha_krippendorff(answers))}
    return run


def _sm_fleiss_aggregate() -> Runner:
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    def run(df: pd.DataFrame) -> Values:
        wide = df.assign(slot=_slot(df)).pivot(index="item_id", columns="slot", values="label")
        table, _ = aggregate_raters(wide.to_numpy(dtype=object))
        return {"value": float(fleiss_kappa(table, method="fleiss"))}
    return run


def _sm_fleiss_counts() -> Runner:
    from statsmodels.stats.inter_rater import fleiss_kappa

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(fleiss_kappa(_value_counts(df), method="fleiss"))}
    return run


def _nltk_pi() -> Runner:
    import nltk.metrics.agreement  # noqa: F401

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(_nltk_task(_slot(df), df).pi())}
    return run


def _sk_cohen_strings() -> Runner:
    from sklearn.metrics import cohen_kappa_score

    def run(df: pd.DataFrame) -> Values:
        a, b = _pair_vectors(df)
        return {"value": float(cohen_kappa_score(a.to_numpy(dtype=object), b.to_numpy(dtype=object)))}
    return run


def _sk_cohen_codes() -> Runner:
    from sklearn.metrics import cohen_kappa_score

    def run(df: pd.DataFrame) -> Values:
        a, b = _pair_vectors(df)
        codes, _ = _codes(pd.concat([a, b], ignore_index=True))
        n = len(a)
        return {"value": float(cohen_kappa_score(codes[:n], codes[n:]))}
    return run


def _nltk_kappa() -> Runner:
    import nltk.metrics.agreement  # noqa: F401

    def run(df: pd.DataFrame) -> Values:
        return {"value": float(_nltk_task(df["annotator_id"], df).kappa())}
    return run


def _crowdkit_ds() -> Runner:
    from crowdkit.aggregation import DawidSkene

    def run(df: pd.DataFrame) -> Values:
        answers = df.rename(columns={"item_id": "task", "annotator_id": "worker"})
        model = DawidSkene(n_iter=DS_ITERATIONS, tol=-np.inf).fit(answers)
        return _posteriors(model.probas_)
    return run


IMPLS: dict[str, Impl] = {i.key: i for i in [
    Impl("krippendorff_alpha/ours", "krippendorff_alpha", "LabelQA `krippendorff_alpha` (point)", True, _ours_alpha),
    Impl("krippendorff_alpha/ours_ci", "krippendorff_alpha", "LabelQA `agreement` + 1000-bootstrap CI", True,
         _ours_alpha_ci),
    Impl("krippendorff_alpha/krippendorff_pivot", "krippendorff_alpha", "krippendorff.alpha (coders x units pivot)",
         False, _kripp_pivot),
    Impl("krippendorff_alpha/krippendorff_counts", "krippendorff_alpha",
         "krippendorff.alpha (value_counts via bincount)", False, _kripp_counts),
    Impl("krippendorff_alpha/nltk", "krippendorff_alpha", "nltk AnnotationTask.alpha", False, _nltk_alpha),
    Impl("krippendorff_alpha/crowdkit", "krippendorff_alpha", "crowd-kit alpha_krippendorff (nltk inside)", False,
         _crowdkit_alpha),
    Impl("fleiss_kappa/ours", "fleiss_kappa", "LabelQA `fleiss_kappa` (point)", True, _ours_fleiss),
    Impl("fleiss_kappa/statsmodels_aggregate", "fleiss_kappa", "statsmodels aggregate_raters + fleiss_kappa", False,
         _sm_fleiss_aggregate),
    Impl("fleiss_kappa/statsmodels_counts", "fleiss_kappa", "statsmodels fleiss_kappa (table via bincount)", False,
         _sm_fleiss_counts),
    Impl("fleiss_kappa/nltk", "fleiss_kappa", "nltk AnnotationTask.pi (coders = rater slots)", False, _nltk_pi),
    Impl("cohen_kappa/ours", "cohen_kappa", "LabelQA `cohens_kappa` (point)", True, _ours_cohen),
    Impl("cohen_kappa/sklearn_strings", "cohen_kappa", "sklearn cohen_kappa_score (string labels)", False,
         _sk_cohen_strings),
    Impl("cohen_kappa/sklearn_codes", "cohen_kappa", "sklearn cohen_kappa_score (integer codes)", False,
         _sk_cohen_codes),
    Impl("cohen_kappa/nltk", "cohen_kappa", "nltk AnnotationTask.kappa", False, _nltk_kappa),
    Impl("dawid_skene/ours", "dawid_skene", f"LabelQA `DawidSkene` ({DS_ITERATIONS} EM iterations)", True, _ours_ds),
    Impl("dawid_skene/crowdkit", "dawid_skene", f"crowd-kit DawidSkene ({DS_ITERATIONS} EM iterations)", False,
         _crowdkit_ds),
]}

# metric -> input kind (benchmarks/data.py)
METRICS: dict[str, str] = {
    "krippendorff_alpha": "multi",
    "fleiss_kappa": "multi",
    "cohen_kappa": "pair",
    "dawid_skene": "multi",
}


def impls_for(metric: str) -> list[Impl]:
    """Ours first (the reference the others are compared with), then the peers."""
    return sorted((i for i in IMPLS.values() if i.metric == metric), key=lambda i: (not i.ours, i.key))
