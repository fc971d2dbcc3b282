"""The cached-statistics route the dashboard uses gives exactly what the one-call database functions give."""
import pandas as pd
import pytest

from analytics.agreement import (
    agreement_from_db, agreement_from_stats, agreement_stats_from_db, per_category_agreement_from_db,
    per_category_from_stats,
)
from analytics.filters import Filters


@pytest.mark.parametrize("by", [None, "week", "schema_version"])
def test_stats_route_equals_db_route(demo_engine, by):
    f = Filters(project_id="streetscene")
    stats = agreement_stats_from_db(demo_engine, f, by=by)
    for metric in ("krippendorff", "fleiss", "gwet_ac1", "percent"):
        a = agreement_from_db(demo_engine, f, metric=metric, by=by)
        b = agreement_from_stats(stats, metric=metric, by=by)
        if by is None:
            # SQL returns the statistics in no fixed order, so float sums may differ in the last bit
            assert (a.value, a.ci_low, a.ci_high) == pytest.approx((b.value, b.ci_low, b.ci_high), rel=1e-12)
            assert (a.n_items, a.n_annotations, a.method) == (b.n_items, b.n_annotations, b.method)
        else:
            pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    pd.testing.assert_frame_equal(per_category_agreement_from_db(demo_engine, f, by=by),
                                  per_category_from_stats(stats, by=by), rtol=1e-12)


def test_cohen_is_refused_from_stats(demo_engine):
    stats = agreement_stats_from_db(demo_engine, Filters(project_id="streetscene"))
    with pytest.raises(ValueError, match="pairwise_cohen_from_db"):
        agreement_from_stats(stats, metric="cohen")
