"""Checking derivatives: gradient checks, the report of a mismatch, and Hypothesis strategies (`autodiff.testing`)."""

__all__: list[str] = []
