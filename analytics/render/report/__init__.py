"""Self-contained HTML reports: the client's delivery report for one batch (``delivery``) and the QA lead's
weekly report (``weekly``); shared tables (``tables``), HTML blocks (``html``), static SVG charts (``svg``) and
the delivery settings with the verdict per contracted target (``client``).

Computation and rendering are separate steps: ``delivery_report(engine, project_id, batch_id) -> DeliveryReport``
and ``weekly_report(engine, project_id, week) -> WeeklyReport`` read the metric modules and the quality layer;
``render_delivery_html`` / ``render_weekly_html`` only format. The CLI (``labelqa report``) and the dashboard call
these. Nothing in either file loads anything over the network: the weekly report inlines plotly.js once
(``<script id="plotly-js">``), the delivery report draws static SVG. Labels from data are escaped in the HTML, in
the SVG and (``analytics.render.plotly_safe.escape_figure``) in every plotly figure.
"""
from analytics.render.report.client import DeliveryConfig, Target, load_delivery_config, target_verdicts
from analytics.render.report.delivery import (
    CLASS_LEGEND, NOTES, DeliveryReport, annotator_summary, delivery_report, delivery_texts, leakage_text,
    provenance_text, render_delivery_html, target_rows,
)
from analytics.render.report.tables import parse_iso_week, project_pseudonyms, pseudonyms
from analytics.render.report.weekly import WeeklyReport, render_weekly_html, weekly_report

__all__ = [
    "DeliveryReport", "WeeklyReport", "delivery_report", "weekly_report", "render_delivery_html", "render_weekly_html",
    "pseudonyms", "project_pseudonyms", "parse_iso_week", "DeliveryConfig", "Target", "load_delivery_config",
    "target_verdicts", "delivery_texts", "annotator_summary", "target_rows", "CLASS_LEGEND", "NOTES", "leakage_text",
    "provenance_text",
]
