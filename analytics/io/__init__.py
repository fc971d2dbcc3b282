"""Ingest-side helpers: reading files, the demo and the ingest log / hash chain (history)."""
