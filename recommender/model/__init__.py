"""The market-potential model: metrics, baselines, the ranker and its artifact."""
