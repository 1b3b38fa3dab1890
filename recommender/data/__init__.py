"""Derived data tables: how they are built from the raw public files and how
they are loaded (always validated against their schema).

``python -m recommender.data build`` rebuilds every table under ``data/``.
"""

from recommender.data.tables import TABLES, load_table, optional_text, table_path

__all__ = ["TABLES", "load_table", "optional_text", "table_path"]
