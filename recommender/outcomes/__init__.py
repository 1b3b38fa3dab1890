"""Learning from outcomes: what happened after the advice re-ranks markets and channels.

- :mod:`~recommender.outcomes.impressions`: what a served recommendation
  logs (the impression) and the firm context it was shown in.
- :mod:`~recommender.outcomes.trials`: impressions + feedback -> trials
  (one row per firm, market and channel that was tried, with its result).
- :mod:`~recommender.outcomes.shrinkage`: empirical-Bayes gamma-Poisson
  lifts (observed / expected successes) shrunk district -> sector -> prior.
- :mod:`~recommender.outcomes.model`: :class:`OutcomeModel` (fit, per-Chamber
  views with the k-anonymity rule, lifts for serving).
- :mod:`~recommender.outcomes.exploration`: the bounded exploration slot.
- :mod:`~recommender.outcomes.simulator`: a labelled simulation for offline
  learning curves (never shipped as data), and
  :mod:`~recommender.outcomes.oracle` its Bayes oracle (what the simulated
  outcomes could teach at best).
"""
