"""Pictures of the graph: DOT drawing, rendering to SVG/PNG, and the module scopes of named parameters."""

__all__: list[str] = []
