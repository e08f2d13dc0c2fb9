"""The engine: `Value`, the op table, the backends its rules run on, the graph walks and derivatives.

`value` (the node and `apply`), `ops` (the table), `backends` (the `Backend` protocol, floats and
numpy), `graph` (topological order, backpropagation), `derivatives` (`grad`, `hessian`, `hvp`,
`jvp`) and `reals` (what counts as a number in an argument).
"""

__all__: list[str] = []
