"""LabelQA analytics: label-quality statistics usable from the dashboard, the CLI and Jupyter.

Annotations have one shape everywhere: a long DataFrame with columns ``item_id, annotator_id, label``
(+ optional grouping columns such as ``week``, ``team``, ``gold_label``). Nothing here imports Streamlit.
"""
__version__ = "0.1.0"
