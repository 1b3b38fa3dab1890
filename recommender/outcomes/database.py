"""Read impressions and feedback from the service's database (SQLAlchemy Core,
no Flask, read-only). The tables are the service's (``api/db/models.py``):
``impressions`` and ``feedback``; this module names only the columns it reads."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import create_engine, text

from recommender import columns as C
from recommender.errors import DataError

IMPRESSIONS_SQL = text("SELECT id, tenant_id, firm_id, created_at, sector, locality, maturity_level, size_class, "
                       "markets FROM impressions ORDER BY id")
FEEDBACK_SQL = text("SELECT id, tenant_id, firm_id, market, channel_id, status, date, impression_id "
                    "FROM feedback ORDER BY id")
FIRMS_SQL = text("SELECT id, tenant_id, profile, created_at FROM firms ORDER BY id")


def _shown(database_url: str) -> str:
    """The database URL as an error message may show it: without its password."""
    try:
        from sqlalchemy.engine import make_url
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: say which argument it was
        return "the --outcomes database URL"


def read_outcomes(database_url: str, with_firms: bool = False):
    """(impressions, feedback) as the frames :func:`recommender.outcomes.trials.build_trials` takes;
    with ``with_firms`` also the registered firms (columns tenant, firm, profile as a dict,
    created_at) that :mod:`recommender.outcomes.registry` learns from."""
    try:
        engine = create_engine(database_url)
        with engine.connect() as conn:
            imps = pd.DataFrame(conn.execute(IMPRESSIONS_SQL).mappings().all())
            fb = pd.DataFrame(conn.execute(FEEDBACK_SQL).mappings().all())
            firms = pd.DataFrame(conn.execute(FIRMS_SQL).mappings().all()) if with_firms else None
        engine.dispose()
    except Exception as exc:  # bad URL, unreachable server, tables missing (not migrated)
        reason = (str(exc).splitlines() or [""])[0][:300]
        raise DataError(_shown(database_url), "cannot read impressions and feedback from the database: "
                                              f"{type(exc).__name__}: {reason}") from None
    imps = imps.rename(columns={"tenant_id": C.TENANT, "firm_id": C.FIRM}) if len(imps) else pd.DataFrame(
        columns=["id", C.TENANT, C.FIRM, "created_at", C.SECTOR, C.LOCALITY, C.MATURITY_LEVEL, C.SIZE_CLASS,
                 "markets"])
    if len(imps):
        imps["markets"] = [json.loads(m) if isinstance(m, str) else m for m in imps["markets"]]
    fb = fb.rename(columns={"tenant_id": C.TENANT, "firm_id": C.FIRM}) if len(fb) else pd.DataFrame(
        columns=["id", C.TENANT, C.FIRM, C.MARKET, C.CHANNEL, "status", C.OUTCOME_DATE, C.IMPRESSION])
    if not with_firms:
        return imps, fb
    assert firms is not None  # read above, with_firms
    firms = (firms.rename(columns={"id": C.FIRM, "tenant_id": C.TENANT}) if len(firms)
             else pd.DataFrame(columns=[C.FIRM, C.TENANT, "profile", "created_at"]))
    firms["profile"] = [json.loads(p) if isinstance(p, str) else p for p in firms["profile"]]
    return imps, fb, firms
