"""The compiled path: a per-sample function of Values traced once and run on numpy batches (`autodiff.compile`)."""

__all__: list[str] = []
