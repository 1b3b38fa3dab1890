"""Market potential as a forecast: features at year t, market shares at t + h."""
