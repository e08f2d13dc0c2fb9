"""Checking derivatives against central differences, and testing them with Hypothesis.

`gradcheck` and `gradgradcheck` check at a `point`, compare in a `comparison` table and, on a
mismatch, `diagnosis` says which op is at fault. `autodiff.testing` is the public face of the
Hypothesis side: `strategies`, `programs` (what they draw, and how it prints), `assertions`
and `kinks` (points where no derivative exists); `arguments` checks the strategies' arguments.
"""

__all__: list[str] = []
