"""The spans, boxes and multilabel kinds: their declarations (kind.py) and the file CLI
``labelqa agreement FILE --kind ...`` / ``labelqa accuracy FILE --gold GOLD --kind ...`` (issue 13), checked
against the library functions, bratiaa and hand-computed cases."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics import kinds
from analytics.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------------------------------ declarations
def test_region_kinds_are_registered_with_the_frames_columns():
    from analytics.kinds.boxes.frames import BOX_COLUMNS, GOLD_BOX_COLUMNS
    from analytics.kinds.multilabel.agreement import MULTILABEL_COLUMNS
    from analytics.kinds.multilabel.readers import GOLD_SET_COLUMNS
    from analytics.kinds.spans.frames import SPAN_COLUMNS, TEXT_COLUMNS

    names = [k.name for k in kinds.all_kinds()]
    assert {"spans", "boxes", "multilabel"} <= set(names) and names[0] == "classification"
    assert kinds.get("spans").required_columns() == {
        "spans": SPAN_COLUMNS, "texts": TEXT_COLUMNS, "gold_spans": tuple(c for c in SPAN_COLUMNS
                                                                          if c != "annotator_id")}
    assert kinds.get("boxes").required_columns() == {"boxes": BOX_COLUMNS, "gold_boxes": GOLD_BOX_COLUMNS}
    assert kinds.get("multilabel").required_columns() == {"annotations": MULTILABEL_COLUMNS,
                                                          "gold_sets": GOLD_SET_COLUMNS}
    for name in ("spans", "boxes", "multilabel"):
        k = kinds.get(name)
        assert k.table_columns() == {} and k.schema is None and k.commands == {}  # no tables, no own command yet
        assert callable(k.metric("agreement_json"))
