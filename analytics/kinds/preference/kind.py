"""Declaration of the ``preference`` kind: pairwise judgments (a, b or tie) of response pairs (issue 12).

Its two frames are declared in :mod:`.shapes` (column names and meaning); ``tables`` below gives their SQL types,
which are the columns of ``sql/preference_schema.sql`` (created by ``analytics.db.ensure_schema``; the test in
``tests/test_preference_db.py`` keeps the two equal). ``labelqa load`` fills them (rules in :mod:`.ingest`); the
sufficient-statistics queries are ``sql/preference_*.sql``, finished by :mod:`.db`. This module imports nothing
heavy: everything is a ``"module:attr"`` reference, and ``tests/test_preference_cli.py`` checks that the columns
here are exactly those of :mod:`.shapes`.
"""
from analytics.kinds.spec import KindSpec, PageSpec

_V, _I, _D, _T = "VARCHAR", "INTEGER", "DOUBLE PRECISION", "TIMESTAMP"
_M = "analytics.kinds.preference."

KIND = KindSpec(
    name="preference",
    title="Preference",
    description="pairwise judgments of two responses to one prompt (a, b or tie) per dimension: RLHF, DPO, RLAIF",
    tables={
        "preference_pairs": {
            "pair_id": _V, "prompt_id": _V, "prompt": _V, "response_a": _V, "response_b": _V,
            "len_a": _D, "len_b": _D, "text_a": _V, "text_b": _V, "category": _V, "project_id": _V,
        },
        "preference_judgments": {
            "pair_id": _V, "annotator_id": _V, "choice": _V, "dimension": _V, "shown_first": _V,
            "created_at": _T, "strength": _I, "duration_s": _D, "rationale": _V, "batch_id": _V,
        },
        "preference_gold": {"pair_id": _V, "choice": _V, "dimension": _V, "source": _V, "created_at": _T},
    },
    required={"preference_pairs": ("pair_id",), "preference_judgments": ("pair_id", "annotator_id", "choice"),
              "preference_gold": ("pair_id", "choice")},
    schema="preference_schema",   # sql/preference_schema.sql, run by analytics.db.ensure_schema
    queries="",                   # sql/preference_*.sql (top level, so tests/test_dialects.py transpiles them)
    validate=_M + "ingest:RULES",  # labelqa load: keys, references, checks, the DPO/TRL shape
    readers={
        "pairs": _M + "readers:read_pairs",
        "judgments": _M + "readers:read_judgments",
        "csv": _M + "readers:read_table",
        "dpo_jsonl": _M + "readers:read_dpo_jsonl",
        "label_studio": _M + "label_studio:read_pairwise_export",  # the pairwise template's JSON export
    },
    metrics={
        "agreement": _M + "agreement:agreement",
        "position_bias": _M + "bias:position_bias",
        "length_bias": _M + "bias:length_bias",
        "judge_bias": _M + "bias:judge_bias",
        "swap_consistency": _M + "swap:swap_consistency",
        "length_slope": _M + "length_control:length_slope",
        "length_controlled": _M + "length_control:length_controlled",
        "judge_profiles": _M + "judge_profile:judge_profiles",
        "transitivity": _M + "consistency:transitivity",
        "bradley_terry": _M + "consistency:bradley_terry",
        "tie_rate": _M + "signal:tie_rate",
        "margins": _M + "signal:margins",
        "ordinal_alpha": _M + "ordinal:ordinal_alpha",
        "report": _M + "report:preference_report",
    },
    commands={"preference": _M + "cli"},
    # the shared Annotators page of a preference project: each judge's biases, agreement and drift
    views={"annotators": "ui.preference_views:annotators"},
    rules=_M + "rules:evaluate",
    demo=_M + "demo:write_demo",  # labelqa demo: project assistant_prefs with six planted truths  # position / length bias, tie rate, agreement, cycles judged per dimension
    # one page; it draws for projects of task_type 'preference' and says why it is empty for any other
    pages=(PageSpec("preference", "pages/preference.py", "Preference judgments", ":material/compare_arrows:",
                    "preference"),),
)
