"""Exports that leave the Python process: the offline HTML simulator (model as JavaScript)."""
