"""Thresholds: the one TOML file (``labelqa.toml``) that colours the dashboard and drives ``labelqa gate``.

A rule compares one number with a limit. Every rule has a fixed direction (``min``: larger is better, or
``max``: smaller is better), a limit, an optional softer ``warn`` level on the same side, a ``severity``
(outcome when the limit is crossed: ``"fail"`` or ``"warn"``) and ``judge``, which number is compared:
the point estimate (``"value"``) or a bound of its confidence interval (``"ci_low"`` / ``"ci_high"``).
Accuracy is judged on the lower bound of the Wilson interval, so a small sample that happens to look
good does not pass.

Tiers: a per-class number is judged with its class tier (``label_classes.tier``: ``critical`` or
``standard``); a number about the whole scope (headline accuracy, alpha, a batch's PSI) with the pseudo-tier
``overall``, which inherits the ``standard`` keys unless ``[rules.<r>.overall]`` overrides them.

Resolution order for one (rule, tier, project), later wins:
built-in ``DEFAULTS`` < file ``[rules.<r>]`` < (``[rules.<r>.standard]`` for ``overall``) <
file ``[rules.<r>.<tier>]`` < ``[project.<p>.rules.<r>]`` < (``...standard``) <
``[project.<p>.rules.<r>.<tier>]``. The file is deep-merged over the defaults first, so a file may hold
only the keys it changes. Settings resolve the same way (``[settings]`` < ``[project.<p>.settings]``).

Colours (``Thresholds.status``): ``green`` within the warn level, ``amber`` warn level crossed, ``red``
limit crossed, ``grey`` not judgeable (value or the judged bound missing/NaN, or ``n < min_n``, which
defaults to ``settings.small_n`` for estimates, unless the whole interval lies past the limit (red) or within
the target (green): an interval that decides is judged whatever its n). Gate outcomes (``Thresholds.judge(...).outcome``):
``pass``; ``warn`` (warn level crossed, or limit crossed with severity warn); ``fail`` (limit crossed
with severity fail); a rule that cannot be judged gets ``settings.not_judged`` (``"warn"`` by default)
with ``judged=False``.

Settings ``window_weeks`` and ``habit_weeks`` say over how many weeks a short date range's small-volume rules
and automation bias are judged (``analytics.quality.evaluation``). This module re-exports
``analytics.quality.config`` (resolution and verdicts) and ``analytics.quality.config_file`` (the vocabulary,
defaults and validation of the file).

A malformed file raises ``ThresholdsError`` (a ``ValueError``) whose message names the file, the line and
the dotted key.
"""
from __future__ import annotations

from analytics.quality.config import Judgement, Rule, Thresholds, default_path, load_thresholds
from analytics.quality.config_file import DEFAULTS, RULES, STATUS_COLOURS, TIERS, ThresholdsError

__all__ = [
    "ThresholdsError",
    "Rule",
    "Judgement",
    "Thresholds",
    "load_thresholds",
    "default_path",
    "RULES",
    "TIERS",
    "STATUS_COLOURS",
    "DEFAULTS",
]

