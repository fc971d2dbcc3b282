"""Multi-label set annotations: ``item_id, annotator_id, label`` (one row per chosen label)."""
from analytics.kinds.multilabel.accuracy import cooccurrence, multilabel_accuracy
from analytics.kinds.multilabel.agreement import (MULTILABEL_COLUMNS, check_multilabel, label_sets, masi_matrix,
                                                  multilabel_agreement_json)

__all__ = ["MULTILABEL_COLUMNS", "check_multilabel", "label_sets", "masi_matrix", "multilabel_agreement_json",
           "multilabel_accuracy", "cooccurrence"]
