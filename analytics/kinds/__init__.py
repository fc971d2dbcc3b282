"""Annotation kinds (one folder each): preference, spans, boxes, multilabel. Registration is not built yet (issue 8)."""
