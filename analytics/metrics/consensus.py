"""Consensus labels and annotator skill without gold: majority vote and Dawid-Skene (pure functions over
annotation frames; the database path is :mod:`analytics.sources.consensus_db`).

Input shape (``analytics.frames.check_annotations``): one long frame ``item_id, annotator_id, label``, one row
per annotation. Replicates (the same annotator labelling the same item more than once, as observer 1 in Dawid &
Skene 1979) are kept: each row is one vote / one observation.

Conventions follow crowd-kit (Ustalov et al. 2021, arXiv 2109.08584): ``fit`` / ``fit_predict`` and fitted
results stored in attributes ending in ``_``. Classes are the sorted distinct labels seen in the data.

Everything is vectorised: items, annotators and labels become integer codes, votes are counted with
``np.unique`` / ``np.bincount`` and the EM of Dawid-Skene is two sparse matrix products per iteration on the
(items x (annotator, label)) count matrix; there is no Python loop over items or annotators.
"""
from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from analytics.frames import check_annotations, require_columns
from analytics.metrics.correlation import Correlation, spearman
from analytics.metrics.results import NoData, wilson_interval

__all__ = [
    "majority_vote",
    "DawidSkene",
    "GoldComparison",
    "compare_with_gold",
    "TIE_RULES",
]

TIE_RULES = ("lowest", "random", "none")
# Floor applied to confusion counts of (annotator, observed label) pairs that occur, and to class priors, before
# taking logs. Same value and placement as crowd-kit 1.4 (``_EPS = 1e-10`` in dawid_skene.py), so the two
# implementations agree to rounding; it keeps log-likelihoods finite and gives a true class an annotator never
# met a uniform distribution over the labels that annotator used.
_EPS = 1e-10


@dataclasses.dataclass(frozen=True)
class _Encoded:
    """Annotations as integer codes (classes and ids sorted, so codes do not depend on row order)."""

    item: np.ndarray          # (n,) int item code
    annotator: np.ndarray     # (n,) int annotator code
    label: np.ndarray         # (n,) int class code
    weight: np.ndarray        # (n,) float number of annotations the row stands for
    items: pd.Index
    annotators: pd.Index
    classes: pd.Index


def _encode(df: pd.DataFrame, weight_col: str | None = None) -> _Encoded:
    df = check_annotations(df)
    if df.empty:
        raise NoData("annotations is empty: nothing to aggregate")
    item, items = pd.factorize(df["item_id"], sort=True)
    annotator, annotators = pd.factorize(df["annotator_id"], sort=True)
    label, classes = pd.factorize(df["label"], sort=True)
    if weight_col is None:
        weight = np.ones(len(df))
    else:
        weight = df[weight_col].to_numpy(dtype=float)
        if (weight <= 0).any() or not np.isfinite(weight).all():
            raise ValueError(f"column {weight_col!r} must hold positive counts")
    return _Encoded(item, annotator, label, weight,
                    pd.Index(items, name="item_id"), pd.Index(annotators, name="annotator_id"),
                    pd.Index(classes, name="label"))


def _vote_counts(enc: _Encoded) -> np.ndarray:
    """(items x classes) weighted vote counts."""
    k = len(enc.classes)
    flat = np.bincount(enc.item * k + enc.label, weights=enc.weight, minlength=len(enc.items) * k)
    return flat.reshape(len(enc.items), k)


def majority_vote(df: pd.DataFrame, tie: str = "lowest", seed: int = 0) -> pd.DataFrame:
    """Majority-vote consensus label of every item.

    Each annotation is one vote (replicates count). ``confidence`` is the winning label's share of the item's
    votes. Tie handling (``tied`` is True when two or more labels share the top count):

    - ``'lowest'``: the smallest label in sorted order wins (deterministic; crowd-kit's ``MajorityVote`` takes
      the first of its label columns, in order of appearance, which need not be the smallest);
    - ``'random'``: a seeded uniform draw among the tied labels (``seed``); the draw is made on the sorted
      (item, label) pairs, so it does not depend on row order;
    - ``'none'``: the label is missing (``<NA>``) for tied items; ``confidence`` is still the top share.

    Returns a frame ``item_id, label, confidence, n_votes, tied`` sorted by ``item_id``.
    """
    if tie not in TIE_RULES:
        raise ValueError(f"tie must be one of {', '.join(TIE_RULES)}; got {tie!r}")
    df = check_annotations(df)
    if df.empty:
        raise NoData("annotations is empty: nothing to aggregate")
    item, items = pd.factorize(df["item_id"], sort=True)
    label, classes = pd.factorize(df["label"], sort=True)
    k = len(classes)
    # Sparse (item, label) counts: the sorted unique keys are grouped by item, labels ascending within an item.
    keys, counts = np.unique(item.astype(np.int64) * k + label, return_counts=True)
    p_item, p_label = keys // k, keys % k
    n_votes = np.bincount(item, minlength=len(items))
    starts = np.flatnonzero(np.r_[True, p_item[1:] != p_item[:-1]])   # every item has a vote, in item order
    top = np.maximum.reduceat(counts, starts)
    is_top = counts == top[p_item]
    n_top = np.bincount(p_item[is_top], minlength=len(items))
    cand_item, cand_label = p_item[is_top], p_label[is_top]
    if tie == "random":
        rng = np.random.default_rng(seed)
        order = np.lexsort((rng.random(len(cand_item)), cand_item))
        cand_item, cand_label = cand_item[order], cand_label[order]
    _, first = np.unique(cand_item, return_index=True)  # first candidate of each item
    winner = cand_label[first]
    tied = n_top > 1
    labels = pd.Series(classes.take(winner))
    if tie == "none":  # a nullable array so a missing label is <NA> whatever the label dtype
        labels = pd.Series(pd.array(np.asarray(classes.take(winner)))).where(~tied)
    return pd.DataFrame({
        "item_id": np.asarray(items),
        "label": labels.array,
        "confidence": top / n_votes,
        "n_votes": n_votes,
        "tied": tied,
    })


class DawidSkene:
    """Dawid-Skene (1979) maximum-likelihood consensus with per-annotator confusion matrices, fitted by EM.

    Model: item i has a true class z_i ~ Categorical(pi); annotator a labels it l with probability
    ``e[a, z_i, l]``, independently across annotations. EM (Dawid & Skene, Applied Statistics 28(1), 1979):

    - E-step: ``log T[i, k] = log pi_k + sum_{(a, l) on i} log e[a, k, l] - log Z_i`` (log-space; ``Z_i`` by
      log-sum-exp). ``sum_i log Z_i`` is the observed-data log-likelihood of the current parameters; it is stored
      in ``log_likelihood_`` and is non-decreasing over iterations (EM property, up to the ``1e-10`` floor).
    - M-step: ``pi_k = mean_i T[i, k]``; ``e[a, k, l] proportional to sum_{annotations of a with label l} T[i, k]``.

    Initialisation ``init='majority'``: T = each item's vote shares (crowd-kit's ``MajorityVote`` probabilities),
    then one M-step. Iterations are E-step then M-step, the same order as crowd-kit 1.4's ``DawidSkene``, so with
    the same ``max_iter`` the two give the same posteriors. Stopping: when the per-annotation log-likelihood gains
    less than ``tol`` (``tol=-inf`` runs exactly ``max_iter`` iterations).

    Fitted attributes:

    - ``labels_``: frame ``item_id, label, confidence`` (the maximum posterior; ties go to the lowest class);
    - ``posteriors_``: frame indexed by ``item_id`` with one column per class (rows sum to 1);
    - ``confusions_``: array ``(annotators, true class, observed label)``, rows sum to 1; axes named by
      ``annotators_`` and ``classes_``; ``confusions_long()`` gives it as a long frame;
    - ``priors_``: Series of class priors indexed by class;
    - ``annotator_accuracy_``: Series indexed by ``annotator_id``: the estimated probability that the annotator
      labels a random item correctly, ``sum_k priors_[k] * confusions_[a, k, k]`` (needs no gold);
    - ``annotator_skill_``: frame ``annotator_id, estimated_accuracy, expected_agreement, n_annotations`` where
      ``expected_agreement`` is the posterior probability that the annotator's own labels are right,
      ``sum_{annotations of a} T[i, l] / n_a`` (accuracy on the items the annotator actually labelled);
    - ``log_likelihood_``: list of observed-data log-likelihoods, one per E-step; ``n_iter_``; ``converged_``.

    Cost: memory O(items x classes) for the posteriors plus O(annotations) for the sparse count matrix; time per
    iteration O(annotations x classes).
    """

    def __init__(self, max_iter: int = 100, tol: float = 1e-6, init: Literal["majority"] = "majority") -> None:
        if init != "majority":
            raise ValueError(f"init must be 'majority'; got {init!r}")
        if int(max_iter) < 1:
            raise ValueError(f"max_iter must be at least 1; got {max_iter!r}")
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.init = init

    def __repr__(self) -> str:
        return f"DawidSkene(max_iter={self.max_iter}, tol={self.tol}, init={self.init!r})"

    # -- maths on codes -------------------------------------------------------------------------------------
    @staticmethod
    def _count_matrix(enc: _Encoded) -> sparse.csr_matrix:
        """(items x annotators*classes) sparse counts: C[i, a*K + l] = annotations of i by a with label l."""
        k = len(enc.classes)
        return sparse.csr_matrix(
            (enc.weight, (enc.item, enc.annotator.astype(np.int64) * k + enc.label)),
            shape=(len(enc.items), len(enc.annotators) * k),
        )

    @staticmethod
    def _m_step(c: sparse.csr_matrix, present: np.ndarray, t: np.ndarray, n_annotators: int
                ) -> tuple[np.ndarray, np.ndarray]:
        """Priors (K,) and confusions (A, K_true, K_obs) from posteriors ``t`` (items x K)."""
        k = t.shape[1]
        counts = np.asarray(c.T @ t)                       # (A*K_obs, K_true)
        counts = np.where(present[:, None], np.maximum(counts, _EPS), 0.0)
        counts = counts.reshape(n_annotators, k, k).transpose(0, 2, 1)   # (A, K_true, K_obs)
        confusions = counts / counts.sum(axis=2, keepdims=True)
        return t.mean(axis=0), confusions

    @staticmethod
    def _e_step(c: sparse.csr_matrix, priors: np.ndarray, confusions: np.ndarray) -> tuple[np.ndarray, float]:
        """Posteriors (items x K) and the observed-data log-likelihood of (priors, confusions)."""
        a, k, _ = confusions.shape
        with np.errstate(divide="ignore"):
            log_e = np.log(confusions).transpose(0, 2, 1).reshape(a * k, k)   # rows a*K_obs + l, cols true k
        log_e = np.where(np.isfinite(log_e), log_e, 0.0)   # pairs that never occur: multiplied by 0 counts
        # (K, items) layout: reductions over classes then run along contiguous rows (much faster than axis=1).
        joint = np.ascontiguousarray(np.asarray(c @ log_e).T)
        joint += np.log(np.maximum(priors, _EPS))[:, None]
        top = joint.max(axis=0)                          # log-sum-exp, shifted by each item's maximum
        joint -= top
        np.exp(joint, out=joint)
        z = joint.sum(axis=0)
        joint /= z
        return joint.T, float((top + np.log(z)).sum())

    # -- public API -----------------------------------------------------------------------------------------
    def fit(self, df: pd.DataFrame, weight_col: str | None = None) -> "DawidSkene":
        """Fit on a long frame ``item_id, annotator_id, label`` (``weight_col``: optional positive counts, a
        row standing for that many identical annotations, as ``annotator_skill_from_db`` returns)."""
        enc = _encode(df, weight_col)
        c = self._count_matrix(enc)
        present = np.asarray(c.sum(axis=0)).ravel() > 0
        votes = _vote_counts(enc)
        t = votes / votes.sum(axis=1, keepdims=True)        # init='majority': vote shares
        priors, confusions = self._m_step(c, present, t, len(enc.annotators))
        history: list[float] = []
        converged = False
        n_weight = enc.weight.sum()
        for _ in range(self.max_iter):
            t, ll = self._e_step(c, priors, confusions)
            history.append(ll)
            priors, confusions = self._m_step(c, present, t, len(enc.annotators))
            if len(history) > 1 and (history[-1] - history[-2]) / n_weight < self.tol:
                converged = True
                break
        self._store(enc, c, t, priors, confusions, history, converged)
        return self

    def fit_predict(self, df: pd.DataFrame) -> pd.DataFrame:
        """``fit(df).labels_``."""
        return self.fit(df).labels_

    def fit_predict_proba(self, df: pd.DataFrame) -> pd.DataFrame:
        """``fit(df).posteriors_``."""
        return self.fit(df).posteriors_

    def _store(self, enc, c, t, priors, confusions, history, converged) -> None:
        k = len(enc.classes)
        self._enc = enc
        self.classes_ = enc.classes
        self.annotators_ = enc.annotators
        self.posteriors_ = pd.DataFrame(t, index=enc.items, columns=enc.classes)
        best = t.argmax(axis=1)
        self.labels_ = pd.DataFrame({
            "item_id": np.asarray(enc.items),
            "label": np.asarray(enc.classes.take(best)),
            "confidence": t[np.arange(len(t)), best],
        })
        self.priors_ = pd.Series(priors, index=enc.classes, name="prior")
        self.confusions_ = confusions
        acc = (confusions[:, np.arange(k), np.arange(k)] * priors[None, :]).sum(axis=1)
        self.annotator_accuracy_ = pd.Series(acc, index=enc.annotators, name="estimated_accuracy")
        coo = c.tocoo()
        n_a = np.bincount(coo.col // k, weights=coo.data, minlength=len(enc.annotators))
        agree = np.bincount(coo.col // k, weights=coo.data * t[coo.row, coo.col % k], minlength=len(enc.annotators))
        self.annotator_skill_ = pd.DataFrame({
            "annotator_id": np.asarray(enc.annotators),
            "estimated_accuracy": acc,
            "expected_agreement": agree / n_a,
            "n_annotations": n_a.astype(np.int64),
        })
        self.log_likelihood_ = history
        self.n_iter_ = len(history)
        self.converged_ = converged

    def confusions_long(self) -> pd.DataFrame:
        """``confusions_`` as a long frame ``annotator_id, true_label, label, probability``."""
        a, k, _ = self.confusions_.shape
        ia, it, io = np.meshgrid(np.arange(a), np.arange(k), np.arange(k), indexing="ij")
        return pd.DataFrame({
            "annotator_id": np.asarray(self.annotators_.take(ia.ravel())),
            "true_label": np.asarray(self.classes_.take(it.ravel())),
            "label": np.asarray(self.classes_.take(io.ravel())),
            "probability": self.confusions_.ravel(),
        })


@dataclasses.dataclass(frozen=True)
class GoldComparison:
    """Estimated (gold-free) annotator accuracy next to gold-based accuracy.

    ``table``: ``annotator_id, estimated_accuracy, gold_accuracy, gold_ci_low, gold_ci_high, n_gold,
    n_annotations`` (Wilson 95% interval on the gold accuracy; ``n_gold`` = the annotator's annotations on gold
    items). ``spearman``: rank correlation between the two over annotators with ``n_gold >= min_gold``.
    """

    table: pd.DataFrame
    spearman: Correlation
    min_gold: int
    estimate: str


def compare_with_gold(ds: DawidSkene, gold: pd.DataFrame, min_gold: int = 10,
                      estimate: Literal["accuracy", "agreement"] = "accuracy") -> GoldComparison:
    """Compare a fitted ``DawidSkene``'s gold-free annotator accuracy with the accuracy measured on gold items.

    ``gold``: frame ``item_id, label`` (one row per item). ``estimate='accuracy'`` uses ``annotator_accuracy_``
    (prior-weighted diagonal of the confusion matrix); ``'agreement'`` uses ``annotator_skill_.expected_agreement``.
    The rank correlation uses annotators with at least ``min_gold`` gold annotations, because a gold accuracy from
    a handful of items is mostly noise (its Wilson interval at n = 10 is about +-0.25 wide).
    """
    if not hasattr(ds, "_enc"):
        raise ValueError("DawidSkene is not fitted: call fit(df) first")
    if estimate not in ("accuracy", "agreement"):
        raise ValueError(f"estimate must be 'accuracy' or 'agreement'; got {estimate!r}")
    require_columns(gold, ("item_id", "label"), "gold")
    if gold["item_id"].duplicated().any():
        raise ValueError("gold has more than one row for some item_id")
    enc = ds._enc
    # Gold label of each item as a class code (-1: no gold; -2: a gold label no annotator ever used).
    g = gold.set_index("item_id")["label"].reindex(enc.items)
    g_code = np.where(g.isna(), -1, -2)
    known = g.notna().to_numpy() & g.isin(enc.classes).to_numpy()
    g_code[known] = enc.classes.get_indexer(g[known])
    row_gold = g_code[enc.item]
    scored = row_gold != -1
    correct = np.bincount(enc.annotator[scored], weights=enc.weight[scored] * (enc.label[scored] == row_gold[scored]),
                          minlength=len(enc.annotators))
    n_gold = np.bincount(enc.annotator[scored], weights=enc.weight[scored], minlength=len(enc.annotators))
    low, high = wilson_interval(correct, n_gold)
    with np.errstate(invalid="ignore", divide="ignore"):
        gold_acc = np.where(n_gold > 0, correct / n_gold, np.nan)
    skill = ds.annotator_skill_
    est = skill["estimated_accuracy"] if estimate == "accuracy" else skill["expected_agreement"]
    table = pd.DataFrame({
        "annotator_id": skill["annotator_id"],
        "estimated_accuracy": est.to_numpy(),
        "gold_accuracy": gold_acc,
        "gold_ci_low": low,
        "gold_ci_high": high,
        "n_gold": n_gold.astype(np.int64),
        "n_annotations": skill["n_annotations"],
    })
    use = table["n_gold"] >= min_gold
    rho = spearman(table.loc[use, "estimated_accuracy"], table.loc[use, "gold_accuracy"])
    return GoldComparison(table=table, spearman=rho, min_gold=int(min_gold), estimate=estimate)

