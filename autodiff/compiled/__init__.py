"""The compiled path: a per-sample function of Values traced once and run on numpy batches (`autodiff.compile`).

`function` holds `compile` and `CompiledFunction` (tracing, buffers, calls); `program` turns a
traced graph into steps over numpy buffers; `steps` holds those steps: matrix products for layers
of neurons, fused chains of element-wise ops, and groups of one op.
"""

__all__: list[str] = []
