"""Demo data for `make run` and the tests: never loaded in production (DEMO_MODE)."""
