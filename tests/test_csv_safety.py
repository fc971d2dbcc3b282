"""CSV formula injection (OWASP): every CSV LabelQA writes goes through analytics.render.csv, which neutralises
text cells a spreadsheet would evaluate."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
from hypothesis import given, strategies as st

from analytics import cli
from analytics.render.csv import FORMULA_PREFIXES, csv_bytes, neutralise

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", "=1;=2"]


@given(st.text())
def test_neutralise_quotes_exactly_the_formula_cells(s):
    out = neutralise(s)
    if s.startswith(FORMULA_PREFIXES):
        assert out == "'" + s
    else:
        assert out == s


def test_numbers_stay_numbers_and_text_round_trips():
    hostile = [h for h in HOSTILE if "\r" not in h]  # a bare CR inside a cell is not read back by pandas
    df = pd.DataFrame({"label": hostile + ["car"], "value": [-0.5] * (len(hostile) + 1)})
    back = pd.read_csv(io.BytesIO(csv_bytes(df)), keep_default_na=False)
    assert (back["value"] == -0.5).all()
    assert list(back["label"]) == ["'" + h for h in hostile] + ["car"]


def test_consensus_out_files_neutralise_hostile_ids(tmp_path, capsys):
    ann = pd.DataFrame({
        "item_id": ["=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0", "i2", "i2"],
        "annotator_id": ["@evil", "+ann", "@evil", "+ann"],
        "label": ["-x", "-x", "car", "car"],
    })
    src = tmp_path / "a.csv"
    ann.to_csv(src, index=False)
    out, skill = tmp_path / "c.csv", tmp_path / "s.csv"
    assert cli.main(["consensus", str(src), "--out", str(out), "--annotators-out", str(skill)]) == 0
    capsys.readouterr()
    for path in (out, skill):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            for cell in next(iter(pd.read_csv(io.StringIO(line), header=None, dtype=str).itertuples(index=False))):
                assert not str(cell).startswith(FORMULA_PREFIXES), (path.name, line)
    assert "'=cmd" in out.read_text(encoding="utf-8")


def test_no_csv_is_written_outside_the_one_writer():
    """Every dashboard download and CLI --out goes through analytics.render.csv (a stray to_csv would bypass it)."""
    offenders = []
    for base in ("analytics", "ui", "pages", "app.py"):
        paths = [ROOT / base] if base.endswith(".py") else (ROOT / base).rglob("*.py")
        for p in paths:
            if "dashboard" in p.relative_to(ROOT).parts or p.name == "csv.py":
                continue
            text = p.read_text(encoding="utf-8")
            for m in re.finditer(r"\.to_csv\(", text):
                line = text[: m.start()].count("\n") + 1
                offenders.append(f"{p.relative_to(ROOT)}:{line}")
    # history.py hashes a canonical CSV of the labels (a fingerprint, never a file a user opens)
    assert [o for o in offenders if not o.startswith("analytics/io/history.py")] == []
