"""Self-contained HTML reports (kept importable): the code lives in ``analytics.render.report`` —
``weekly`` (the QA lead's weekly report), ``delivery`` (the client's delivery report), ``tables``, ``html``,
``svg`` and ``client`` (delivery settings, contracted targets and their verdicts)."""
from analytics.render.report import (  # noqa: F401
    DeliveryConfig, DeliveryReport, Target, WeeklyReport, annotator_summary, delivery_report, delivery_texts,
    load_delivery_config, parse_iso_week, project_pseudonyms, pseudonyms, render_delivery_html, render_weekly_html,
    target_verdicts, weekly_report,
)
from analytics.render.report import __all__  # noqa: F401
