"""The spans kind's demo project (``KindSpec.demo``): ``newswire``, entity spans (PER, ORG, LOC) over short news
texts with gold spans.

Written by ``labelqa demo`` after the classification projects, from ``numpy.random.default_rng([seed, 14])``.
600 texts over 8 weeks, 6 annotators in two teams, 3 per text; about 7,000 spans. Item attribute ``topic``.
Planted truths (:data:`TRUTHS`, recovered by tests/test_regions_demo.py, listed in sample_data/README.md):

1. ``sp_03`` merges adjacent entities of one label joined by "and" ("Paris and Lyon") into one long span with
   probability 0.9: low instance F1 against gold, high token F1 (the tokens are right, the instances are not).
2. A guideline change: guidelines (schema) v1 in weeks 1-4 leave open whether a person's title ("Dr.",
   "Mayor") belongs to the span and whether an organisation's suffix ("Inc.") does, so each annotator takes
   the other reading with probability 0.35; v2 (``span_annotations.schema_version = 2``, weeks 5-8) settles it
   (probability 0.04). Span agreement rises from v1 to v2.
3. Background: every annotator misses 3% of entities and mislabels 2%.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from analytics.kinds.region_demo import DAY, ids, people, ts

PROJECT = "newswire"
SEED_KEY = 14
CLASSES = ("PER", "ORG", "LOC")
CRITICAL = ("PER",)
ANNOTATORS = tuple(f"sp_{k:02d}" for k in range(1, 7))
TEAMS = ("nlp_a",) * 3 + ("nlp_b",) * 3
N_ITEMS, N_WEEKS, V2_WEEK = 600, 8, 5
TRUTHS = {
    "merger": {"annotator": "sp_03", "p_merge": 0.9},
    "guideline_change": {"v2_week": V2_WEEK, "p_ambiguous_v1": 0.35, "p_ambiguous_v2": 0.04},
    "p_miss": 0.03, "p_mislabel": 0.02,
}
_FIRST = ("Anna", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemal", "Lena")
_LAST = ("Novak", "Schmidt", "Okafor", "Larsen", "Rossi", "Tanaka", "Dubois", "Moreau", "Berg", "Kowalski")
_TITLES = ("Dr.", "Mayor", "Minister", "Professor")
_ORG = ("Acme", "Globex", "Initech", "Vandelay", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Soylent", "Hooli")
_ORG2 = ("Motors", "Bank", "Foods", "Energy", "Media", "Labs")
_SUFFIX = ("Inc.", "Ltd.", "GmbH")
_LOC = ("Paris", "Lyon", "Berlin", "Madrid", "Oslo", "Lisbon", "Vienna", "Prague", "New York", "Cape Town")
_TOPICS = ("business", "politics", "science")
_TEMPLATES = (  # slots: {P} person, {O} org, {L} location; "and" between two slots of one label = adjacent pair
    "{P} and {P} met in {L} on Monday.",
    "{O} and {O} signed a supply deal in {L}.",
    "Shares of {O} rose after {P} spoke in {L} and {L}.",
    "The office of {O} in {L} hired {P}.",
    "{P} visited {L} and {L} last week.",
    "Analysts at {O} expect {P} to resign.",
)
_DESCRIPTIONS = {("PER", 1): "a person", ("ORG", 1): "an organisation", ("LOC", 1): "a place",
                 ("PER", 2): "a person, without a title (Dr., Mayor)",
                 ("ORG", 2): "an organisation, with its legal suffix (Inc., Ltd.)", ("LOC", 2): "a place"}


def _entity(rng, kind: str) -> tuple[str, int, int]:
    """(text, offset of the gold start within it, gold length): PER may carry a title outside gold, ORG a suffix
    inside gold."""
    if kind == "P":
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if rng.random() < 0.6:
            t = f"{rng.choice(_TITLES)} "
            return t + name, len(t), len(name)
        return name, 0, len(name)
    if kind == "O":
        name = f"{rng.choice(_ORG)} {rng.choice(_ORG2)}"
        if rng.random() < 0.6:
            name += f" {rng.choice(_SUFFIX)}"
        return name, 0, len(name)
    name = str(rng.choice(_LOC))
    return name, 0, len(name)


def _text(rng):
    """One item: text and gold entities ``[(start, end, label, alt_start, alt_end, pair)]`` where ``alt_*`` is the
    other reading of an ambiguous boundary and ``pair`` numbers adjacent same-label entities joined by "and"."""
    parts, ents, pos = [], [], 0
    for s_i in range(int(rng.integers(1, 3))):
        tpl = str(rng.choice(_TEMPLATES))
        chunks = tpl.replace("{", "\x00{").replace("}", "}\x00").split("\x00")
        last = None
        for c in chunks:
            if c in ("{P}", "{O}", "{L}"):
                text, off, ln = _entity(rng, c[1])
                lab = {"P": "PER", "O": "ORG", "L": "LOC"}[c[1]]
                s, e = pos + off, pos + off + ln
                alt = (pos, e) if off else (s, e)  # PER: with the title
                if lab == "ORG" and text.split()[-1] in _SUFFIX:
                    alt = (s, e - len(text.split()[-1]) - 1)  # ORG: without the suffix
                pair = len(ents) - 1 if last == ("and", lab) else None
                ents.append([s, e, lab, alt[0], alt[1], pair])
                parts.append(text)
                pos += len(text)
                last = ("ent", lab)
            else:
                parts.append(c)
                pos += len(c)
                last = ("and", last[1]) if c == " and " and last and last[0] == "ent" else None
        if s_i == 0:
            parts.append(" ")
            pos += 1
    return "".join(parts).strip(), ents


def generate(seed: int) -> dict[str, pa.Table]:
    rng = np.random.default_rng([seed, SEED_KEY])
    n = N_ITEMS
    items = ids("nw-", n)
    week = rng.integers(0, N_WEEKS, n)
    t_item = week * 7 * DAY + rng.integers(0, 5 * DAY, n)
    version = np.where(week + 1 >= V2_WEEK, 2, 1)
    topic = rng.choice(_TOPICS, n)
    texts, gold_rows, rows = [], [], []
    for k in range(n):
        text, ents = _text(rng)
        texts.append(text)
        gold_rows += [(items[k], s, e, lab) for s, e, lab, *_ in ents]
        p_amb = TRUTHS["guideline_change"]["p_ambiguous_v1" if version[k] == 1 else "p_ambiguous_v2"]
        for a in rng.choice(len(ANNOTATORS), 3, replace=False):
            ann = ANNOTATORS[a]
            out = []
            for idx, (s, e, lab, s2, e2, pair) in enumerate(ents):
                if rng.random() < TRUTHS["p_miss"]:
                    continue
                if (s2, e2) != (s, e) and rng.random() < p_amb:
                    s, e = s2, e2
                if rng.random() < TRUTHS["p_mislabel"]:
                    lab = str(rng.choice([c for c in CLASSES if c != lab]))
                if (pair is not None and ann == TRUTHS["merger"]["annotator"] and out and out[-1][3] == pair
                        and rng.random() < TRUTHS["merger"]["p_merge"]):
                    out[-1][1] = e  # one long span over both entities and the "and" between them
                    continue
                out.append([s, e, lab, idx])  # idx: the entity a following "and" entity pairs with
            t = int(t_item[k] + 3600 * (1 + a) + rng.integers(0, 600))
            if not out:
                rows.append((items[k], ann, None, None, None, None, t, version[k], week[k]))
            for s, e, lab, _ in out:
                rows.append((items[k], ann, s, e, lab, text[s:e], t, version[k], week[k]))
    nr = len(rows)
    col = list(zip(*rows))
    spans = pa.table({
        "annotation_id": ids("nw-s", nr), "item_id": list(col[0]), "annotator_id": list(col[1]),
        "span_start": pa.array(col[2], pa.int32()), "span_end": pa.array(col[3], pa.int32()),
        "label": pa.array(col[4], pa.string()), "text": pa.array(col[5], pa.string()), "created_at": ts(col[6]),
        "batch_id": [f"{PROJECT}-b{w // 2 + 1:02d}" for w in col[8]],
        "schema_version": pa.array(np.asarray(col[7], np.int32))})
    gc = list(zip(*gold_rows))
    gi = np.searchsorted(np.array(items), np.array(gc[0]))
    gold = pa.table({"item_id": list(gc[0]), "span_start": pa.array(gc[1], pa.int32()),
                     "span_end": pa.array(gc[2], pa.int32()), "label": list(gc[3]),
                     "source": ["expert"] * len(gc[0]), "created_at": ts(t_item[gi] + 14 * DAY)})
    item_t = pa.table({"item_id": items, "project_id": [PROJECT] * n, "split": ["train"] * n,
                       "source": ["newswire"] * n, "created_at": ts(t_item - DAY)})
    attrs = pa.table({"item_id": items, "key": ["topic"] * n, "value": topic.tolist()})
    return {"items": item_t, "item_attributes": attrs, "span_texts": pa.table({"item_id": items, "text": texts}),
            "gold_spans": gold, "span_annotations": spans}


def write_demo(write, seed: int, progress=lambda _m: None) -> None:
    """``KindSpec.demo``: write the ``newswire`` project (canonical rows first, then the kind's tables)."""
    people(write, PROJECT, "spans", "Newswire entities", CLASSES, CRITICAL, ANNOTATORS, TEAMS, "Textwise",
           -9 * DAY, N_WEEKS, versions=(1, 2), descriptions=_DESCRIPTIONS)
    tables = generate(seed)
    for name in ("items", "item_attributes", "span_texts", "gold_spans", "span_annotations"):
        write(name, tables[name])
    progress(f"demo: {PROJECT}: {tables['span_annotations'].num_rows:,} spans on {N_ITEMS} texts, "
             f"{tables['gold_spans'].num_rows:,} gold spans")
