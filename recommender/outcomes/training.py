"""``python -m recommender.train --outcomes DATABASE_URL``: learn from what happened after the advice.

1. Reads impressions and feedback from the service's database (read-only)
   and turns them into trials (:mod:`recommender.outcomes.trials`).
2. **Replay gate.** The trials recorded after the serving version's outcome
   model was trained (or, the first time, the newest 20 %) are held out; a
   candidate fitted on the older ones must predict them at least as well
   (mean Bernoulli log-likelihood of success) as the serving version (its
   learned lifts, or the prior alone when it has none).
3. Fits the outcome model on all trials and writes a new version
   ``<market model version>.o<UTC timestamp>`` in ``models/``: the market
   model's files unchanged, ``outcomes.parquet`` (the fitted cells), the
   manifest's ``outcomes`` section (counts, fitted scalars, replay figures)
   and a model card section; every file under the manifest's checksums.
4. Promotes it to ``models/CURRENT`` if the gate passes (``--force``
   overrides loudly and records why); the service switches to it without a
   restart (hot swap).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender import config
from recommender.data import load_table
from recommender.model import artifact
from recommender.outcomes import shrinkage
from recommender.outcomes.database import read_outcomes
from recommender.outcomes.impressions import locality
from recommender.outcomes.model import OutcomeModel, channel_base
from recommender.outcomes.registry import RegistryModel, served_markets, unprompted_outcomes
from recommender.outcomes.registry_lifts import RegistryLifts
from recommender.outcomes.serving import OutcomeAdjuster
from recommender.outcomes.trials import REWEIGHED_PARTS, build_trials
from recommender.training.card import CURVES_HEADING

MIN_HOLDOUT = 20          # held-out market trials needed for the replay comparison to count
HOLDOUT_SHARE = 0.2       # the first time: the newest share of trials is held out
MIN_REGISTRY_HOLDOUT = 5  # held-out exporting firms needed for the registry check to count


def _calibration_line(cal: dict) -> str:
    """The model card's line on the calibration on the logit scale."""
    seen = cal.get("log_prior_range")  # absent in versions fitted before it was kept
    where = (f"; fitted on scores {np.exp(seen[0]):.2f} to {np.exp(seen[1]):.2f}, slope {cal['slope_outside']:g} "
             "outside them" if seen else "")
    reversed_ = (" b < 0: firms sold more where the market model's score is lower, so within those scores the "
                 "order is reversed: a sign to check the market model against these outcomes." if cal["b"] < 0 else "")
    return (f"- Calibration on the logit scale the lifts are measured against, logit P(success | tried) = "
            f"c + b·log score + δ·parts: c = {cal['c']:.3f}, b = {cal['b']:.3f} ({cal['how']}){where}.{reversed_}")


def predicted_success(adjuster: OutcomeAdjuster | None, scale: dict, trials: pd.DataFrame) -> np.ndarray:
    """P(success) of each market trial: the adjuster's calibration on the logit scale (with the
    sector's δ) times the lift (:meth:`OutcomeAdjuster.base_success` × re-weighting × lift; for
    versions fitted before that calibration exp(a)·prior^β·exp(δ·parts)·lift); without an adjuster
    the Poisson calibration ``scale`` (a, β) alone. Parts a trial was logged without count 0."""
    if adjuster is None:
        return np.clip(shrinkage.expected_success(scale["a"], scale["beta"], trials[C.PRIOR_SCORE]), 1e-3, 1 - 1e-3)
    q0 = adjuster.base_success(trials[C.PRIOR_SCORE].astype(float))
    lifts = np.ones(len(trials))
    by_context = {}  # the lifts of one (view, sector, locality), looked up once
    for i, r in enumerate(trials.itertuples(index=False)):
        key = (adjuster.view_of(getattr(r, C.TENANT)), getattr(r, C.SECTOR), getattr(r, C.LOCALITY))
        if key not in by_context:
            by_context[key] = adjuster.market_lifts(*key)
        lift = by_context[key].get(getattr(r, C.MARKET))
        lifts[i] = lift.value if lift is not None else 1.0
        # the calibration's expected success (with δ where the sector has it) relative to q0
        parts = {p: getattr(r, C.PART_PREFIX + p, np.nan) for p in REWEIGHED_PARTS}
        lifts[i] *= adjuster.reweighting(key[1], parts, getattr(r, C.PRIOR_SCORE))
    return np.clip(q0 * lifts, 1e-3, 1 - 1e-3)


def log_likelihood(p: np.ndarray, y) -> float:
    y = np.asarray(y, float)
    return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))) if len(y) else float("nan")


def replay(trials: pd.DataFrame, current: OutcomeAdjuster | None, current_trained_at: str | None,
           base: dict | None) -> dict:
    """Candidate (fitted before the cut) vs the serving version on the held-out recent trials."""
    markets = trials[trials[C.CHANNEL].isna()].sort_values(C.OUTCOME_DATE, kind="stable")
    if current_trained_at is not None:
        cut = pd.Timestamp(current_trained_at).tz_localize(None).normalize()
        held = pd.to_datetime(markets[C.OUTCOME_DATE]) >= cut
        how = f"trials dated on or after the serving outcome model ({current_trained_at[:10]})"
    else:
        n_hold = int(round(len(markets) * HOLDOUT_SHARE))
        held = pd.Series(False, index=markets.index)
        held.iloc[len(markets) - n_hold:] = True
        how = f"the newest {HOLDOUT_SHARE:.0%} of trials (no outcome model serving yet)"
    train_ids, hold = markets[~held], markets[held]
    out = {"holdout": how, "held_out_trials": int(len(hold)), "training_trials": int(len(train_ids))}
    if len(hold) < MIN_HOLDOUT or len(train_ids) == 0:
        return out | {"evaluated": False, "passed": True,
                      "note": f"fewer than {MIN_HOLDOUT} held-out trials (or none before them): not evaluated; "
                              "with so little evidence the lifts stay close to 1"}
    older = trials[trials[C.CHANNEL].notna() | trials.index.isin(train_ids.index)]
    candidate = OutcomeModel(channel_base=base).fit(older)
    cand = OutcomeAdjuster(candidate.cells_, candidate.params())
    ll_candidate = log_likelihood(predicted_success(cand, candidate.scale_, hold), hold[C.SUCCESS])
    ll_prior = log_likelihood(predicted_success(None, candidate.scale_, hold), hold[C.SUCCESS])
    if current is not None:
        ll_current = log_likelihood(predicted_success(current, current.params["scale"], hold), hold[C.SUCCESS])
        name = "serving outcome model"
    else:
        ll_current, name = ll_prior, "prior only (no outcome model serving)"
    return out | {"evaluated": True, "log_likelihood": {"candidate": round(ll_candidate, 5),
                                                         "current": round(ll_current, 5),
                                                         "prior_only": round(ll_prior, 5)},
                  "current": name, "passed": bool(ll_candidate >= ll_current - 1e-9)}


def registry_frames(recommender, firms: pd.DataFrame, unprompted: pd.DataFrame) -> tuple[pd.DataFrame, dict, dict]:
    """Registered firms as :class:`~recommender.outcomes.registry.RegistryModel` takes them (one row
    per firm with a goods product and a place: tenant, firm, family, locality, markets served, prior
    key, year), the prior scores per key, and counts of what was left out and why."""
    from recommender.errors import InvalidInput
    from recommender.recommend.engine import product_of
    from recommender.recommend.profile import FirmProfile

    extra: dict[tuple[int, int], set[str]] = {(int(t), int(f)): set()
                                               for t, f in zip(unprompted[C.TENANT], unprompted[C.FIRM])}
    for t, f, m in zip(unprompted[C.TENANT], unprompted[C.FIRM], unprompted[C.MARKET]):
        extra[(int(t), int(f))].add(m)
    rows, priors, skipped = [], {}, {"invalid_profile": 0, "services": 0, "no_place": 0}
    for r in firms.to_dict("records"):
        try:
            profile = FirmProfile.from_dict({k: v for k, v in (r["profile"] or {}).items() if k != "name"})
        except (InvalidInput, TypeError, ValueError):
            skipped["invalid_profile"] += 1
            continue
        product = product_of(profile)
        if product is None:
            skipped["services"] += 1
            continue
        loc = locality(profile.district.slug if profile.district is not None else None,
                       profile.province.sigla if profile.province is not None else None)
        if loc is None:
            skipped["no_place"] += 1
            continue
        key = recommender.ranking_key(profile)[:5]
        if key not in priors:
            priors[key] = pd.Series(recommender.prior_scores(profile))
        created = pd.Timestamp(r["created_at"]) if r.get("created_at") is not None else pd.Timestamp.now()
        rows.append({C.TENANT: int(r[C.TENANT]), C.FIRM: int(r[C.FIRM]), C.FAMILY: product.family,
                     C.LOCALITY: loc, C.SERVED: served_markets(profile.current_markets,
                                                                extra.get((int(r[C.TENANT]), int(r[C.FIRM])))),
                     "prior_key": key, "year": int(created.year)})
    frame = pd.DataFrame(rows, columns=[C.TENANT, C.FIRM, C.FAMILY, C.LOCALITY, C.SERVED, "prior_key", "year"])
    return frame, priors, skipped


def registry_check(firms: pd.DataFrame, priors: dict, random_state: int = 0) -> dict:
    """Does the registry evidence predict where firms sell better than the prior? A random
    ``HOLDOUT_SHARE`` of the exporting firms is held out; a registry model fitted on the others
    (each held-out firm seen through its Chamber's view) must give their rows a mean Bernoulli
    log-likelihood at least the calibrated prior's (same a, β, lift 1)."""
    exporting = firms[[len(m) > 0 for m in firms[C.SERVED]]].reset_index(drop=True)
    rng = np.random.default_rng(random_state)
    held = rng.random(len(exporting)) < HOLDOUT_SHARE
    out = {"held_out_firms": int(held.sum()), "training_firms": int((~held).sum())}
    if held.sum() < MIN_REGISTRY_HOLDOUT or (~held).sum() == 0:
        return out | {"evaluated": False, "passed": True,
                      "note": f"fewer than {MIN_REGISTRY_HOLDOUT} held-out exporting firms: not evaluated"}
    model = RegistryModel(random_state=random_state).fit(exporting[~held], priors)
    lifts = RegistryLifts(model.cells_, model.params())
    a, beta = model.scale_["a"], model.scale_["beta"]
    ll = {"registry": 0.0, "prior_only": 0.0}
    n = 0
    for r in exporting[held].to_dict("records"):
        prior = priors[r["prior_key"]]
        q = shrinkage.expected_success(a, beta, prior.to_numpy(float))
        view = lifts.view_of(r[C.TENANT], r[C.FAMILY])
        got = lifts.factors(view, r[C.FAMILY], r[C.LOCALITY])
        lam = np.array([got[m].lift if m in got else 1.0 for m in prior.index])
        y = np.isin(prior.index, list(r[C.SERVED]))
        for name, p in (("registry", q * lam), ("prior_only", q)):
            p = np.clip(p, 1e-4, 1 - 1e-4)
            ll[name] += float(np.sum(np.where(y, np.log(p), np.log(1 - p))))
        n += len(prior)
    ll = {k: round(v / n, 6) for k, v in ll.items()}
    return out | {"evaluated": True, "log_likelihood": ll, "passed": bool(ll["registry"] >= ll["prior_only"] - 1e-9)}


def trial_rate_by_position(impressions: pd.DataFrame, trials: pd.DataFrame) -> dict[int, float]:
    """Share of shown markets that were tried (with a known outcome), by the position they were
    shown at: how strongly what is shown first gets tried first (position bias)."""
    shown = pd.Series([int(m["rank"]) for ms in impressions.get("markets", []) for m in ms], dtype="int64")
    if shown.empty:
        return {}
    n_shown = shown.value_counts().sort_index()
    tried = trials[trials[C.CHANNEL].isna()][C.POSITION].astype(int).value_counts()
    return {int(p): round(float(tried.get(p, 0) / n), 4) for p, n in n_shown.items()}


def card_section(section: dict, curves: bool = True) -> str:
    """The outcome model's section of the model card; ``curves`` adds the simulated learning
    curves (left out when the market model's card above already has them)."""
    lf, params, rp = section["learned_from"], section["params"], section["replay"]
    lines = ["", "## Outcome model", "",
             f"Version `{section['version']}` on market model `{section['base_version']}`, trained "
             f"{section['trained_at']}. Learned from {lf['outcomes']} feedback rows: {lf['trials']} market trials "
             f"({lf['successes']} first sales) and {lf['channel_trials']} channel trials, {lf['firms']} firms, "
             f"{lf['chambers']} Chambers; {lf['pending']} pending (planned/started), {lf['unlinked']} not linked "
             "to a shown recommendation (not used).", "",
             f"- Prior calibration P(success | tried) = exp(a)·score^β: a = {params['scale']['a']:.3f}, "
             f"β = {params['scale']['beta']:.3f} ({params['scale']['how']}; the replay's prior-only yardstick).",
             *([_calibration_line(cal)] if (cal := params.get("calibration")) else []),
             *[f"- κ {level}: {v['kappa']:.2f} ({v['how']})" for level, v in params["kappa"].items()],
             *[f"- Score parts re-weighted for {sector}, δ·parts: "
               + ", ".join(f"δ {p} {d:+.2f}" for p, d in v["weights"].items()) + f" ({v['how']})"
               for sector, v in (params.get("part_weights") or {}).items()],
             f"- Privacy: other Chambers' trials enter a Chamber's view only as cells of at least "
             f"{params['k_anonymity']} distinct firms.",
             "- Trial rate by position shown (position bias; success is learned per trial, so it does not "
             "enter the lifts): " + (", ".join(f"{p}: {r:.1%}" for p, r in section["trial_rate_by_position"].items())
                                     or "no impressions yet") + ".", ""]
    reg, reg_params, check = lf.get("registry"), params.get("registry"), section.get("registry_check") or {}
    if reg is not None:
        lines += [f"Registry evidence: {reg['registered_firms']} registered firms, {reg['exporting_firms']} of them "
                  f"exporting ({reg['firm_markets']} firm-market rows, {lf.get('unprompted', 0)} of them from "
                  f"unprompted outcomes: first sales or starts in markets the firm was not shown), "
                  f"{reg.get('cells', 0)} (product family, district or province) cells, "
                  f"{reg.get('cells_shown_to_all', 0)} of at least {params['k_anonymity']} exporting firms "
                  f"(what other Chambers see); {'used' if reg['used'] else 'NOT used'}."]
        if reg_params:
            sc = reg_params["scale"]
            lines += [f"- Prior P(firm serves market) = exp(a)·score^β: a = {sc['a']:.3f}, β = {sc['beta']:.3f} "
                      f"({sc['how']}).",
                      *[f"- κ {level}: {v['kappa']:.2f} ({v['how']})" for level, v in reg_params["kappa"].items()]]
        if check.get("evaluated"):
            ll = check["log_likelihood"]
            lines += [f"- Held-out check on {check['held_out_firms']} exporting firms (random {HOLDOUT_SHARE:.0%}): "
                      f"mean log-likelihood of their rows, registry {ll['registry']:.5f} vs calibrated prior "
                      f"{ll['prior_only']:.5f}: {'passed' if check['passed'] else 'FAILED (registry left out)'}."]
        elif check:
            lines += [f"- Held-out check: {check['note']}."]
        lines += [""]
    if rp.get("evaluated"):
        ll = rp["log_likelihood"]
        lines += [f"Replay on {rp['held_out_trials']} held-out trials ({rp['holdout']}): mean log-likelihood "
                  f"candidate {ll['candidate']:.4f}, {rp['current']} {ll['current']:.4f}, prior only "
                  f"{ll['prior_only']:.4f}: {'passed' if rp['passed'] else 'FAILED'}.", ""]
    else:
        lines += [f"Replay: {rp['note']} ({rp['held_out_trials']} held out).", ""]
    if curves and config.LEARNING_CURVES_FILE.exists():
        lines += ["### Learning curves (simulation)", "", config.LEARNING_CURVES_FILE.read_text().strip(), ""]
    if reg is not None and config.REGISTRY_CURVES_FILE.exists():
        lines += ["### Registry evidence by number of registered firms (simulation)", "",
                  config.REGISTRY_CURVES_FILE.read_text().strip(), ""]
    return "\n".join(lines)


def write_version(models_dir, base_version: str, version: str, cells: pd.DataFrame, section: dict) -> Path:
    """The market model version's files unchanged, plus the outcome cells and the card and
    manifest sections, written atomically like any version."""
    src = Path(artifact._models_dir(models_dir)) / base_version
    base_manifest = artifact.verify(src)

    def write(tmp: Path) -> list[str]:
        names = [n for n in base_manifest["files"] if n not in (artifact.OUTCOMES_FILE, artifact.CARD_FILE)]
        for name in names:
            shutil.copy2(src / name, tmp / name)
        cells.to_parquet(tmp / artifact.OUTCOMES_FILE, index=False)
        card = (src / artifact.CARD_FILE).read_text().split("\n## Outcome model")[0].rstrip() + "\n"
        (tmp / artifact.CARD_FILE).write_text(card + card_section(section, curves=CURVES_HEADING not in card) + "\n")
        return [*names, artifact.OUTCOMES_FILE, artifact.CARD_FILE]

    return artifact.write_version_dir(models_dir, version, dict(base_manifest, outcomes=section), write)


def train_outcomes(database_url: str, models_dir=None, data_dir=None, promote: bool = True, force: bool = False,
                   force_reason: str | None = None, version: str | None = None, now: datetime | None = None) -> int:
    """The whole run (module docstring). Exit code 0 written (and promoted), 1 gate failed."""
    current = artifact.load_current(models_dir)
    learned = current.manifest.get("outcomes")
    base_version = learned["base_version"] if learned else current.version
    base = channel_base(load_table("esales", data_dir), load_table("countries", data_dir))
    current_adj = (OutcomeAdjuster(current.outcomes, learned["params"], learned["version"])
                   if learned else None)

    print("1/3 reading registered firms, impressions and feedback", flush=True)
    read_at = datetime.now(timezone.utc)  # firms registered after this are not in the registry evidence
    impressions, feedback, registered = read_outcomes(database_url, with_firms=True)
    trials, counts = build_trials(impressions, feedback)
    unprompted = unprompted_outcomes(impressions, feedback)
    from recommender.recommend.engine import Recommender
    firms, priors, skipped = registry_frames(Recommender(current, data_dir), registered, unprompted)
    print(f"    {len(impressions)} impressions, {len(feedback)} feedback rows -> {len(trials)} trials "
          f"({counts['pending']} pending, {counts['unlinked']} unlinked, of which {len(unprompted)} unprompted "
          f"first sales or starts); {len(registered)} registered firms", flush=True)

    print("2/3 replay on held-out recent outcomes", flush=True)
    gate = replay(trials, current_adj, learned["trained_at"] if learned else None, base)

    registry_gate = registry_check(firms, priors)

    print("3/3 fitting on all outcomes and registries and writing the version", flush=True)
    model = OutcomeModel(channel_base=base).fit(trials)
    registry = RegistryModel().fit(firms, priors)
    used = registry_gate["passed"] and len(registry.cells_) > 0
    cells = pd.concat([model.cells_, registry.cells_], ignore_index=True) if used else model.cells_
    trained_at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    version = version or f"{base_version}.o{trained_at.strftime('%Y%m%dT%H%M%SZ')}"
    section = {"version": version, "base_version": base_version,
               "trained_at": trained_at.isoformat(timespec="seconds"),
               "learned_from": {"outcomes": counts["feedback_rows"], **model.counts_, "pending": counts["pending"],
                                "unlinked": counts["unlinked"] + counts["channel_not_shown"],
                                "prompted": model.counts_["trials"],
                                "unprompted": int(len(unprompted)),
                                "unprompted_by_status": {s: int((unprompted["status"] == s).sum())
                                                         for s in ("first_sale", "started")},
                                "registry": {"registered_firms": int(len(registered)), **registry.counts_,
                                             "left_out": skipped, "used": bool(used)}},
               "params": model.params() | ({"registry": registry.params() | {"read_at": read_at.isoformat()}}
                                           if used else {}), "replay": gate,
               "registry_check": registry_gate,
               "trial_rate_by_position": trial_rate_by_position(impressions, trials),
               "promotion": {"passed": gate["passed"], "forced": bool(force and not gate["passed"]),
                             "force_reason": force_reason if force and not gate["passed"] else None}}
    path = write_version(models_dir, base_version, version, cells, section)
    print(card_section(section))
    print(f"wrote {path}")
    if not promote:
        print("--no-promote: CURRENT left alone")
        return 0
    if gate["passed"] or force:
        artifact.promote(version, models_dir)
        if not gate["passed"]:
            print("!" * 78 + f"\nFORCED promotion of {version} although the replay gate failed; reason: "
                  f"{force_reason!r}\n" + "!" * 78)
        else:
            print(f"replay gate passed; promoted {version} to CURRENT")
        return 0
    print("NOT promoted: the candidate predicts the held-out outcomes worse than the serving version "
          "(use --force to promote anyway)")
    return 1
