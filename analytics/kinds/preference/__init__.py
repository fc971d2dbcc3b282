"""The ``preference`` annotation kind: pairwise judgments (RLHF / DPO / RLAIF), from agreement to a clean set.

Modules: :mod:`.shapes` (the two frame shapes), :mod:`.readers` (files, DPO/TRL JSONL, Label Studio pairwise),
:mod:`.agreement` / :mod:`.ordinal` / :mod:`.judges` (agreement among judges, vs gold, model vs humans),
:mod:`.bias` (position, length, per-judge tests), :mod:`.swap` (swap consistency: flips of a judge shown a pair in
both orders),
:mod:`.length_control` (the logistic slope on the length ratio, length-controlled scores and win rates),
:mod:`.judge_profile` (each judge's biases, agreement, ties and drift for the Annotators page),
:mod:`.consistency` (transitivity, Bradley-Terry),
:mod:`.signal` (ties, similarity, margins), :mod:`.clean_set` (the DPO-ready subset and its export),
:mod:`.report` (the ``labelqa preference --json`` document). No Streamlit, no I/O outside :mod:`.readers`.
"""
