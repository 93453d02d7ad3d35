"""Reliability under load and faults: alerts arrive, once, and never silently vanish."""
