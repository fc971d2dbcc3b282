"""Drawings of the Regions page (pages/regions.py): one image's boxes on a blank canvas of the image size (plotly
shapes; gold dashed, the annotator's boxes solid and coloured by match status) and one text with an annotator's spans
highlighted and gold spans underlined, every piece of data HTML-escaped."""
from __future__ import annotations

import pandas as pd

# Markdown would still read these inside the HTML st.markdown draws (emphasis, links, maths, code): entities instead.
_MD = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$<>&\"'"}


def esc(text: str) -> str:
    """Text safe inside the HTML of ``st.markdown(..., unsafe_allow_html=True)``: every HTML and Markdown special
    character as an entity, line breaks as ``<br>`` (a blank line would end the HTML block)."""
    return "".join(_MD.get(ch, ch) for ch in str(text)).replace("\r\n", "\n").replace("\n", "<br>")


def box_figure(parts: pd.DataFrame, width: float, height: float, title: str):
    import plotly.graph_objects as go

    colour = {"matched": "#1a9850", "wrong label": "#f0a202", "missed": "#d73027", "spurious": "#7b3294"}
    fig = go.Figure()
    for r in parts.itertuples(index=False):
        gold = r.source == "gold"
        fig.add_shape(type="rect", x0=r.x, y0=r.y, x1=r.x + r.width, y1=r.y + r.height,
                      line=dict(color="#333" if gold else colour[r.status], width=2, dash="dash" if gold else "solid"))
    # invisible points carry the hover text (label, source, status, IoU) at each box's centre
    fig.add_trace(go.Scatter(
        x=parts["x"] + parts["width"] / 2, y=parts["y"] + parts["height"] / 2, mode="markers+text",
        marker=dict(size=4, color=["#333" if s == "gold" else colour[t] for s, t in zip(parts["source"], parts["status"])]),
        text=[f"{lab} ({src}, {st_})" for lab, src, st_ in zip(parts["label"], parts["source"], parts["status"])],
        textposition="top center", textfont=dict(size=9), hoverinfo="text", showlegend=False))
    fig.update_xaxes(range=[0, width], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[height, 0], showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(title=title, height=420, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="#f7f7f7")
    return fig


def span_html(text: str, ann: pd.DataFrame, gold: pd.DataFrame) -> str:
    """The text with the annotator's spans highlighted (labels as superscripts) and gold spans underlined; every
    piece of data escaped."""
    cuts = sorted({0, len(text), *[int(v) for v in ann["start"]], *[int(v) for v in ann["end"]],
                   *[int(v) for v in gold["start"]], *[int(v) for v in gold["end"]]})
    out = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        seg = esc(text[a:b])
        in_ann = ann[(ann["start"] <= a) & (ann["end"] >= b)]
        in_gold = gold[(gold["start"] <= a) & (gold["end"] >= b)]
        if len(in_gold):
            seg = f"<u style='text-decoration-thickness:2px'>{seg}</u>"
        if len(in_ann):
            seg = f"<mark>{seg}</mark>"
        ends = ann[ann["end"] == b]
        seg += "".join(f"<sup>&#91;{esc(lab)}&#93;</sup>" for lab in ends["label"])
        g_ends = gold[gold["end"] == b]
        seg += "".join(f"<sub>gold {esc(lab)}</sub>" for lab in g_ends["label"])
        out.append(seg)
    return "".join(out)


def draw_worst_items(kind: str, regions: pd.DataFrame, gold: pd.DataFrame, texts, who: str, key: str = "") -> int:
    """Draw ``who``'s worst items against the reference (the kinds' ``worst_items``): boxes on a blank canvas of
    the image size (gold dashed), spans highlighted in the escaped text (gold underlined). Returns the count drawn.
    Shared by the Regions page and the Annotators page of a region project."""
    import numpy as np
    import streamlit as st

    from ui.charts import plotly_chart
    from ui.fmt import fmt_num, md

    if kind == "boxes":
        from analytics.kinds.boxes.quality import item_boxes, worst_items
    else:
        from analytics.kinds.spans.quality import worst_items
    worst = worst_items(regions, gold, who)
    for r in worst.itertuples(index=False):
        st.markdown(f"item {md(r.item_id)}: F1 against gold {fmt_num(r.f1)} ({int(r.n_annotated)} drawn, "
                    f"{int(r.n_gold)} gold)")
        if kind == "boxes":
            one = regions[regions["item_id"].astype(str) == str(r.item_id)]
            w, h = ((float(one["image_width"].max()), float(one["image_height"].max())) if "image_width" in one
                    else (np.nan,) * 2)
            parts = item_boxes(regions, gold, r.item_id, who)
            if not np.isfinite(w) or not np.isfinite(h):
                w, h = float((parts["x"] + parts["width"]).max()), float((parts["y"] + parts["height"]).max())
            plotly_chart(box_figure(parts, w, h, f"{r.item_id}: gold dashed, {who} solid"), key=f"{key}box_{r.item_id}")
        else:
            text = texts.set_index("item_id")["text"].get(r.item_id, "")
            ann = regions[(regions["item_id"] == r.item_id) & (regions["annotator_id"].astype(str) == who)
                          & regions["label"].notna()]
            g = gold[(gold["item_id"] == r.item_id) & gold["label"].notna()]
            st.markdown(f"<div class='lqa-span-text'>{span_html(str(text), ann, g)}</div>", unsafe_allow_html=True)
    if kind == "spans" and len(worst):
        st.caption("highlighted: the annotator's spans, [label] at their end; underlined: gold spans, 'gold label' at "
                   "their end")
    return len(worst)
