"""Learning from outcomes: what happened after the advice re-ranks markets and channels.

- :mod:`~recommender.outcomes.impressions`: what a served recommendation
  logs (the impression) and the firm context it was shown in.
- :mod:`~recommender.outcomes.trials`: impressions + feedback -> trials
  (one row per firm, market and channel that was tried, with its result).
- :mod:`~recommender.outcomes.shrinkage`: empirical-Bayes gamma-Poisson
  lifts (observed / expected successes) shrunk district -> sector -> prior.
- :mod:`~recommender.outcomes.model`: :class:`OutcomeModel` (fit, per-Chamber
  views with the k-anonymity rule, lifts for serving).
- :mod:`~recommender.outcomes.registry`: registry evidence, where the Chambers'
  registered firms already sell (their listed markets and unprompted outcomes),
  shrunk toward the prior, k-anonymous; :mod:`~recommender.outcomes.registry_lifts`
  serves it (the firm's own row left out).
- :mod:`~recommender.outcomes.exploration`: the bounded exploration slot.
- :mod:`~recommender.outcomes.simulator`: a labelled simulation for offline
  learning curves (never shipped as data), and
  :mod:`~recommender.outcomes.oracle` its Bayes oracle (what the simulated
  outcomes could teach at best); :mod:`~recommender.outcomes.registry_simulation`
  the same for registries of 50 to 5,000 firms per district.
"""
