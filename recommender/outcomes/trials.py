"""From what was shown and what happened to *trials*: the learning examples.

Feedback statuses (``POST /feedback``): ``planned`` and ``started`` say a
firm is going for a market; ``first_sale`` and ``abandoned`` say how it
ended. A *trial* is one firm and one market (and, for channel trials, one
channel) whose outcome is known: success if any feedback says
``first_sale``, failure if the latest says ``abandoned``; ``planned`` and
``started`` alone are pending and not used yet.

Why condition on the trial: what is shown first gets tried first (position
bias), so counting sales per *impression* rewards whatever the ranking
already put on top. Given that the firm tried a market, whether it sold
there no longer depends on the position it was shown at (the assumption
this module makes and the simulator checks), so success per trial is
position-free. The position is kept with each trial to report how much
trying depends on it.

Only feedback linked to an impression is used: the impression says the
firm's context when it was advised (sector, locality, maturity, size) and the
prior score of the market, which the lift is measured against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C

SUCCESS_STATUS = "first_sale"
FAILURE_STATUS = "abandoned"
PENDING_STATUSES = ("planned", "started")

IMPRESSION_COLUMNS = ("id", C.TENANT, C.FIRM, "created_at", C.SECTOR, C.LOCALITY, C.MATURITY_LEVEL,
                      C.SIZE_CLASS, "markets")
FEEDBACK_COLUMNS = ("id", C.TENANT, C.FIRM, C.MARKET, C.CHANNEL, "status", C.OUTCOME_DATE, C.IMPRESSION)
# the parts of the market score when the market was shown (NaN for channel trials and for
# impressions logged before the parts were)
# ... and the log of the registry factor (0: none), so that trials can say how far to trust the
# registries' self-selected evidence (recommender.outcomes.registry)
REWEIGHED_PARTS = (*C.SCORE_PARTS, C.REGISTRY_PART)
PART_COLUMNS = tuple(C.PART_PREFIX + p for p in REWEIGHED_PARTS)
TRIAL_COLUMNS = (C.TENANT, C.FIRM, C.SECTOR, C.LOCALITY, C.MATURITY_LEVEL, C.SIZE_CLASS, C.MARKET, C.CHANNEL,
                 C.POSITION, C.PRIOR_SCORE, C.EXPLORED, C.SUCCESS, C.OUTCOME_DATE, C.IMPRESSION, *PART_COLUMNS)


def _resolve(group: pd.DataFrame) -> pd.Series | None:
    """One firm-market(-channel)'s feedback rows, oldest first -> its trial (or None if pending)."""
    sold = group[group["status"] == SUCCESS_STATUS]
    if len(sold):
        row, success = sold.iloc[0], 1
    elif group["status"].iloc[-1] == FAILURE_STATUS:
        row, success = group.iloc[-1], 0
    else:
        return None
    linked = group[C.IMPRESSION].dropna()
    impression = row[C.IMPRESSION] if pd.notna(row[C.IMPRESSION]) else (linked.iloc[-1] if len(linked) else None)
    return pd.Series({C.SUCCESS: success, C.OUTCOME_DATE: row[C.OUTCOME_DATE], C.IMPRESSION: impression})


def build_trials(impressions: pd.DataFrame, feedback: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Trials (columns :data:`TRIAL_COLUMNS`; market trials have ``channel_id`` None)
    and counts of what was left out and why.

    ``impressions``: :data:`IMPRESSION_COLUMNS` (``markets`` as logged by
    :func:`~recommender.outcomes.impressions.impression_from_result`);
    ``feedback``: :data:`FEEDBACK_COLUMNS`."""
    counts = {"feedback_rows": int(len(feedback)), "pending": 0, "unlinked": 0, "channel_not_shown": 0}
    if feedback.empty:
        return pd.DataFrame(columns=TRIAL_COLUMNS), counts
    shown = {}
    for imp in impressions.to_dict("records"):
        context = {k: imp[k] for k in (C.SECTOR, C.LOCALITY, C.MATURITY_LEVEL, C.SIZE_CLASS)}
        for m in imp["markets"]:
            parts = m.get("parts") or {}
            shown[(imp["id"], m["iso3"], None)] = context | {
                C.POSITION: int(m["rank"]), C.PRIOR_SCORE: float(m.get("prior_score", m["score"])),
                C.EXPLORED: bool(m.get("explored", False))} | {
                C.PART_PREFIX + p: float(parts[p]) if p in parts else np.nan for p in C.SCORE_PARTS} | {
                C.PART_PREFIX + C.REGISTRY_PART: float(parts.get(C.REGISTRY_PART, 0.0))}
            for c in m.get("channels", []):
                shown[(imp["id"], m["iso3"], c["channel_id"])] = context | {
                    C.POSITION: int(c["rank"]), C.PRIOR_SCORE: float(c.get("prior_score", c["score"])),
                    C.EXPLORED: bool(m.get("explored", False))}

    fb = feedback.sort_values([C.OUTCOME_DATE, "id"], kind="stable")
    fb = fb.assign(**{C.CHANNEL: fb[C.CHANNEL].where(fb[C.CHANNEL].notna() & (fb[C.CHANNEL] != ""), None)})
    rows = []
    # a market trial from every feedback row of the market; a channel trial from the rows naming a channel
    for key_cols, data in (((C.TENANT, C.FIRM, C.MARKET), fb),
                           ((C.TENANT, C.FIRM, C.MARKET, C.CHANNEL), fb[fb[C.CHANNEL].notna()])):
        for key, group in data.groupby(list(key_cols), sort=True):
            trial = _resolve(group)
            if trial is None:
                counts["pending"] += 1
                continue
            channel = key[3] if len(key) == 4 else None
            imp = trial[C.IMPRESSION]
            ctx = shown.get((int(imp), key[2], channel)) if imp is not None else None
            if ctx is None:
                counts["unlinked" if imp is None or channel is None else "channel_not_shown"] += 1
                continue
            rows.append({C.TENANT: int(key[0]), C.FIRM: int(key[1]), C.MARKET: key[2], C.CHANNEL: channel,
                         **ctx, C.SUCCESS: int(trial[C.SUCCESS]), C.OUTCOME_DATE: trial[C.OUTCOME_DATE],
                         C.IMPRESSION: int(imp)})
    trials = pd.DataFrame(rows, columns=TRIAL_COLUMNS)
    return trials, counts
