"""Settings are split by environment: base, dev, test, production."""
