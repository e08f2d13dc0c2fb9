"""The engine: `Value`, the op table, the backends the table's rules run on, the graph walks and derivatives."""

__all__: list[str] = []
