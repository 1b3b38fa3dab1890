"""Structural gravity: Poisson pseudo-maximum likelihood with fixed effects."""

from recommender.gravity.ppml import PoissonFE

__all__ = ["PoissonFE"]
