"""Export-opportunity recommender for Italian SMEs.

The package is split by concern:

- :mod:`recommender.config` – where data, raw data and models live.
- :mod:`recommender.columns` – column names shared by every table.
- :mod:`recommender.data` – builds and loads the derived tables under ``data/``.
- :mod:`recommender.schemas` – one pandera schema per derived table.
- :mod:`recommender.lookups` – resolve what a user types (ATECO code,
  province, district, country) into typed objects.

Lookups are re-exported here; nothing heavy happens at import time.
"""

__version__ = "0.1.0"
