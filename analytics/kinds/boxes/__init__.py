"""Bounding-box annotations: ``item_id, annotator_id, label, x, y, width, height``."""
from analytics.kinds.boxes.accuracy import (completeness, detection_accuracy, gold_matches, label_confusions,
                                            localisation_bias)
from analytics.kinds.boxes.agreement import box_agreement, box_agreement_json, box_matches, box_pair_stats
from analytics.kinds.boxes.frames import BOX_COLUMNS, GOLD_BOX_COLUMNS, check_boxes

__all__ = ["BOX_COLUMNS", "GOLD_BOX_COLUMNS", "check_boxes", "box_matches", "box_pair_stats", "box_agreement",
           "box_agreement_json", "gold_matches", "detection_accuracy", "label_confusions", "localisation_bias",
           "completeness"]
