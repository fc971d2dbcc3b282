"""Pure statistics over small sufficient-statistics frames (no I/O, no Streamlit)."""
