"""Reusable UI pieces (render only; no rules)."""
