"""A class's status colour that agrees with the systematic findings about it (issue 9 item 6).

The accuracy page colours each gold class by its accuracy rule; a class whose annotations are systematically
confused (``analytics.accuracy.systematic_confusions``: a frequent gold -> label confusion concentrated in one
team, annotator or item condition; the gate's ``systematic_confusion`` rule) cannot be "on target" beside a card
that flags it: ``class_status`` lowers green to amber and says why.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["systematic_by_class", "class_status"]


def systematic_by_class(sysc: pd.DataFrame) -> dict[str, str]:
    """gold label -> words naming its systematic confusions (``-> bicycle in team=team_c, lighting=night``),
    from a ``systematic_confusions`` frame (rows with ``systematic`` true; strongest first)."""
    if sysc is None or sysc.empty or "systematic" not in sysc:
        return {}
    hits = sysc[sysc["systematic"].astype(bool)].sort_values("p_value")
    out: dict[str, list[str]] = {}
    for r in hits.itertuples(index=False):
        words = f"-> {r.label} in {r.concentrated_in}"
        lst = out.setdefault(str(r.true_label), [])
        if not any(w.startswith(f"-> {r.label} ") for w in lst):
            lst.append(words)
    return {k: "; ".join(v) for k, v in out.items()}


def class_status(status: str, label: str, flagged: dict[str, str]) -> tuple[str, str | None]:
    """``(status, words)``: the accuracy status of class ``label``, amber with the words "systematic confusion"
    when it is green but ``flagged`` (``systematic_by_class``) names it; otherwise unchanged (red stays red, and
    grey stays grey: too few units to judge the accuracy, the confusion card still shows)."""
    if label in flagged and status == "green":
        return "amber", f"systematic confusion {flagged[label]}"
    return status, None
