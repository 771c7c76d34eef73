"""Settings split: base (shared, from the environment), local, test, production."""
