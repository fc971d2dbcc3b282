"""Inter-annotator agreement: percent agreement, Cohen's kappa (unweighted / linear / quadratic), Fleiss' kappa,
Krippendorff's alpha (nominal, ordinal, interval, ratio), Gwet's AC1, Scott's pi, per-category agreement and
the pairwise Cohen matrix, each with a confidence interval.

Input is the long annotation frame ``item_id, annotator_id, label`` (+ grouping columns); rows with a missing
label are missing ratings. The *unit* of agreement is an item within a group: with ``by='team'`` an item's
annotations from two teams are two units, so the agreement is within-team. Items with a single rating carry no
agreement information; they are left out of every observed-agreement term and enter only the chance terms of
Fleiss' kappa and Gwet's AC1 (as in Gwet 2014). ``n_items`` (= ``Estimate.n``) counts the units with 2+ ratings
and ``n_annotations`` their ratings.

Notation, per unit ``u``: ``n_uc`` ratings of category ``c``, ``n_u = sum_c n_uc`` ratings in all; ``N`` units
with ``n_u >= 2`` ("pairable"), ``n = sum_u n_u`` pairable values.

* Percent agreement ``P = (1/N) sum_u sum_c n_uc (n_uc - 1) / (n_u (n_u - 1))`` (the share of agreeing rater
  pairs, averaged over items; for two raters, the share of items they agree on).
* Fleiss' kappa (Fleiss 1971) ``(P - P_e) / (1 - P_e)``, ``P_e = sum_c p_c^2`` with ``p_c`` the mean over items
  of the per-item proportions ``n_uc / n_u``. With a varying number of raters, ``P`` averages ``P_u`` over items
  with ``n_u >= 2`` and ``p_c`` averages over every rated item, as in Gwet (2014, Handbook of Inter-Rater
  Reliability, 4th ed., ch. 2) and R ``irrCAC::fleiss.kappa.raw``; with a constant number of raters this is
  exactly ``statsmodels.stats.inter_rater.fleiss_kappa``.
* Gwet's AC1 (Gwet 2008, Br. J. Math. Stat. Psychol. 61:29-48) ``(P - P_e) / (1 - P_e)`` with
  ``P_e = sum_c p_c (1 - p_c) / (q - 1)``, ``p_c`` as for Fleiss and ``q`` the number of categories observed in
  the group.
* Scott's pi (Scott 1955; multi-rater form of Siegel & Castellan 1988, = ``nltk`` ``AnnotationTask.pi``):
  ``(P - P_e) / (1 - P_e)`` with ``P_e = sum_c (n_c / n)^2`` from the pooled pairable values.
* Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"): coincidences
  ``o_ck = sum_u n_uc (n_uk - [c = k]) / (n_u - 1)``, ``n_c = sum_k o_ck``,
  ``alpha = 1 - (n - 1) sum_ck o_ck d_ck / sum_ck n_c n_k d_ck`` with the squared difference ``d_ck`` of the
  level: nominal ``[c != k]``; ordinal ``(sum_{g=c..k} n_g - (n_c + n_k)/2)^2``; interval ``(c - k)^2``;
  ratio ``((c - k) / (c + k))^2``. Nominal alpha needs only the diagonal ``o_cc`` and ``n_c``.
* Cohen's kappa (Cohen 1960; weighted: Cohen 1968) for exactly two annotators on the items both rated:
  ``1 - sum_ij w_ij p_ij / sum_ij w_ij p_i. p_.j`` with disagreement weights ``w_ij = [i != j]`` (none),
  ``|i - j|`` (linear) or ``(i - j)^2`` (quadratic) on the positions of the ordered categories observed (as
  ``sklearn.metrics.cohen_kappa_score``), or on ``categories`` when given.
* Per category ``c``: specific agreement ``o_cc / n_c`` (the share of the pairable ``c`` values that are paired
  with another ``c``; for two raters ``2 n_cc / (n_c. + n_.c)``), and Fleiss' category kappa
  ``kappa_c = 1 - sum_u n_uc (n_u - n_uc) / (n_u (n_u - 1)) / (N p_c (1 - p_c))`` with
  ``p_c = (1/N) sum_u n_uc / n_u`` over pairable items (Fleiss 1971 for a constant number of raters; this
  generalisation keeps ``kappa = sum_c p_c q_c kappa_c / sum_c p_c q_c``).

Intervals: cluster bootstrap over the 64 md5 item buckets (docs/ARCHITECTURE.md, "Item buckets"). The
sufficient statistics above are additive over units, so they are summed per (group, bucket, label) -- in SQL
(``sql/agreement_bucket_stats.sql``, ``sql/agreement_coincidences.sql``) or with pandas (:func:`bucket_stats`,
:func:`coincidence_stats`, identical frames) -- and each bootstrap replicate is a weighted sum of the buckets.
A group that has items in ``K`` buckets resamples ``K`` of its buckets with replacement (with few items every
item is its own bucket, so this is the ordinary item bootstrap). The draws come from one ``(n_boot x 64)``
uniform matrix of ``seed``, so a group's interval depends only on its own data and the seed: the grouped result
equals the metric on the group's rows alone, and the DataFrame and SQL paths give the same interval. Percentile
intervals; ``ci_low``/``ci_high`` are NaN when ``n_boot == 0``, the group spans fewer than 2 buckets, or fewer
than half of the replicates are defined. Every metric is a dimensionless coefficient (1 = perfect agreement;
0 = chance level for the chance-corrected ones).

No I/O here: the database path (``agreement_from_db`` and friends: SQL sufficient statistics finished by these
functions) is :mod:`analytics.sources.agreement_db`; :mod:`analytics.agreement` re-exports both.
"""
from __future__ import annotations

from analytics.metrics.agreement.base import (
    BUCKET_IDS, COINCIDENCE_STATS, DB_GROUPS, item_bucket, LEVELS, METRICS, N_BUCKETS, NOMINAL_STATS, WEIGHTS,
)
from analytics.metrics.agreement.stats import bucket_stats, coincidence_stats
from analytics.metrics.agreement.krippendorff import numeric_labels
from analytics.metrics.agreement.cohen import pairwise_cohen
from analytics.metrics.agreement.per_category import per_category_agreement
from analytics.metrics.agreement.api import (
    agreement, agreement_from_stats, cohens_kappa, fleiss_kappa, gwet_ac1, krippendorff_alpha,
    per_category_from_stats, percent_agreement, scotts_pi,
)

__all__ = [
    "METRICS",
    "LEVELS",
    "WEIGHTS",
    "DB_GROUPS",
    "N_BUCKETS",
    "BUCKET_IDS",
    "NOMINAL_STATS",
    "COINCIDENCE_STATS",
    "item_bucket",
    "numeric_labels",
    "bucket_stats",
    "coincidence_stats",
    "percent_agreement",
    "cohens_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "scotts_pi",
    "agreement",
    "agreement_from_stats",
    "per_category_from_stats",
    "per_category_agreement",
    "pairwise_cohen",
]
