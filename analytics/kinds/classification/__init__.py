"""The ``classification`` kind: one label per item from a closed taxonomy (the first kind; see ``kind.py``)."""
