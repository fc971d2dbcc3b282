"""Span F1 against bratiaa 0.1.4 (Kolditz et al. 2019), the reference implementation, on generated brat projects."""
import numpy as np
import pandas as pd
import pytest

from analytics.kinds.spans import span_agreement

bratiaa = pytest.importorskip("bratiaa")
LABELS = ["LOC", "ORG", "PER"]


def _project(tmp_path, seed):
    rng = np.random.default_rng(seed)
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]
    (tmp_path / "annotation.conf").write_text("[entities]\n" + "\n".join(LABELS) + "\n[relations]\n[events]\n[attributes]\n")
    rows, texts = [], []
    for d in range(6):
        toks = list(rng.choice(words, 12))
        text = " ".join(toks)
        texts.append((f"doc{d}", text))
        starts = np.cumsum([0] + [len(t) + 1 for t in toks[:-1]])
        base = [(int(starts[k]), int(starts[k] + len(toks[k]) + (len(toks[k + 1]) + 1 if rng.random() < .3 else 0)),
                 LABELS[rng.integers(3)]) for k in sorted(rng.choice(11, 4, replace=False))]
        for a in ("ann1", "ann2", "ann3"):
            spans = [(s, e + (1 if rng.random() < .15 else 0) if e < len(text) else e,
                      LABELS[rng.integers(3)] if rng.random() < .15 else l) for s, e, l in base if rng.random() > .1]
            folder = tmp_path / a
            folder.mkdir(exist_ok=True)
            (folder / f"doc{d}.txt").write_text(text)
            (folder / f"doc{d}.ann").write_text("".join(f"T{k + 1}\t{l} {s} {e}\t{text[s:e]}\n"
                                                        for k, (s, e, l) in enumerate(spans)))
            rows += [(f"doc{d}.ann", a, s, e, l) for s, e, l in spans] or [(f"doc{d}.ann", a, None, None, None)]
    sp = pd.DataFrame(rows, columns=["item_id", "annotator_id", "start", "end", "label"])
    tx = pd.DataFrame([(f"{i}.ann", t) for i, t in texts], columns=["item_id", "text"])
    return sp, tx


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("unit", ["instance", "token"])
def test_matches_bratiaa(tmp_path, seed, unit):
    sp, tx = _project(tmp_path, seed)
    ref = bratiaa.compute_f1_agreement(str(tmp_path), token_func=bratiaa.utils.tokenize if unit == "token" else None)
    ours = span_agreement(sp, unit=unit, texts=tx, n_boot=0)
    mean, sd = ref.mean_sd_total()
    assert ours["overall"]["mean"] == pytest.approx(mean, abs=1e-12)
    assert ours["overall"]["sd"] == pytest.approx(sd, abs=1e-12)
    lm, ls = ref.mean_sd_per_label()
    for lab, m, s in zip(ref.labels, lm, ls):
        if np.isfinite(m):  # bratiaa gives NaN when some pair has no span of the label; we drop such pairs
            assert ours["per_label"][lab]["mean"] == pytest.approx(m, abs=1e-12)
            assert ours["per_label"][lab]["sd"] == pytest.approx(s, abs=1e-12)
    dm, ds = ref.mean_sd_per_document()
    pi = ours["per_item"].set_index("item_id")
    for doc, m, s in zip(ref.documents, dm, ds):
        assert pi.loc[doc, "mean"] == pytest.approx(m, abs=1e-12)
        assert pi.loc[doc, "sd"] == pytest.approx(s, abs=1e-12)


def test_merged_entities_low_instance_high_token():
    text = "Acme Corp Berlin office"
    t = pd.DataFrame({"item_id": ["d"], "text": [text]})
    sp = pd.DataFrame({"item_id": ["d"] * 3, "annotator_id": ["a", "a", "m"], "start": [0, 10, 0],
                       "end": [9, 16, 16], "label": ["ORG", "ORG", "ORG"]})
    inst = span_agreement(sp, n_boot=0)["overall"]["mean"]
    tok = span_agreement(sp, unit="token", texts=t, n_boot=0)["overall"]["mean"]
    assert inst == 0.0  # no identical span: 2*0/(2+1)
    assert tok == 1.0  # tokens Acme, Corp, Berlin with ORG on both sides: 2*3/(3+3)


def test_overlap_one_to_one():
    sp = pd.DataFrame({"item_id": ["d"] * 3, "annotator_id": ["a", "b", "b"], "start": [0, 0, 3],
                       "end": [5, 4, 6], "label": ["X"] * 3})
    # one span of a can match only one of b's two overlapping spans: 2*1/(1+2)
    assert span_agreement(sp, match="overlap", n_boot=0)["overall"]["mean"] == pytest.approx(2 / 3)


def test_errors():
    sp = pd.DataFrame({"item_id": ["d"], "annotator_id": ["a"], "start": [5], "end": [5], "label": ["X"]})
    with pytest.raises(ValueError, match="row 0, column 'end': end must be greater than start"):
        span_agreement(sp)
    sp = pd.DataFrame({"item_id": ["d"], "annotator_id": ["a"], "start": [0], "end": [50], "label": ["X"]})
    with pytest.raises(ValueError, match="span ends outside the item's text"):
        span_agreement(sp, unit="token", texts=pd.DataFrame({"item_id": ["d"], "text": ["short"]}))
    with pytest.raises(ValueError, match="missing column"):
        span_agreement(sp.drop(columns="label"))


def test_span_errors_against_gold():
    from analytics.kinds.spans.accuracy import span_errors
    gold = pd.DataFrame({"item_id": ["d", "d", "d"], "start": [0, 10, 20], "end": [9, 16, 25],
                         "label": ["ORG", "LOC", "PER"]})
    sp = pd.DataFrame({"item_id": ["d"] * 5, "annotator_id": ["a", "a", "a", "m", "m"],
                       "start": [0, 10, 30, 0, 20], "end": [9, 15, 33, 16, 25], "label": ["ORG", "PER", "X", "ORG", "PER"]})
    r = span_errors(sp, gold).set_index("annotator_id")
    assert r.loc["a", ["correct", "label", "spurious", "boundary"]].tolist() == [1, 1, 1, 0]
    assert r.loc["a", "miss_rate"] == pytest.approx(1 / 3)  # PER 20-25 not overlapped by a
    # the merger (one ORG span over ORG + LOC) is a boundary error; nothing missed
    assert r.loc["m", ["correct", "boundary"]].tolist() == [1, 1] and r.loc["m", "miss_rate"] == 0


def test_brat_reader_round_trip(tmp_path):
    from analytics.kinds.spans.readers import read_brat
    sp, tx = _project(tmp_path, 5)
    got, texts = read_brat(tmp_path)
    key = ["item_id", "annotator_id", "start", "end", "label"]
    norm = lambda d: d[key].astype(str).sort_values(key).reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(norm(got), norm(sp))
    ref = bratiaa.compute_f1_agreement(str(tmp_path))
    assert span_agreement(got, n_boot=0)["overall"]["mean"] == pytest.approx(ref.mean_sd_total()[0], abs=1e-12)


def test_label_studio_spans_text_mismatch():
    from analytics.kinds.spans.readers import read_label_studio_spans
    task = {"id": 1, "data": {"text": "Ann went to Rome"}, "annotations": [
        {"completed_by": 3, "result": [{"type": "labels", "value": {"start": 12, "end": 16, "text": "Rome",
                                                                      "labels": ["LOC"]}}]},
        {"completed_by": 4, "ground_truth": True, "result": [
            {"type": "labels", "value": {"start": 0, "end": 3, "text": "Ann", "labels": ["PER"]}}]}]}
    sp, gold, tx = read_label_studio_spans([task])
    assert sp[["annotator_id", "start", "end", "label"]].values.tolist() == [["3", 12, 16, "LOC"]]
    assert gold[["start", "label"]].values.tolist() == [[0, "PER"]]
    task["annotations"][0]["result"][0]["value"]["text"] = "Roma"
    with pytest.raises(ValueError, match="span text 'Roma' does not match the offsets 12-16"):
        read_label_studio_spans([task])
