"""Reflex State classes: thin; they call services and hold UI state only."""
