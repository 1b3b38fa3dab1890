"""Training and evaluation of the market-potential model (not used by serving)."""
