"""MkDocs hook: a docstring's ``>>>`` example is shown as a Python console session.

The docstrings hold their examples as doctests in plain text (``tests/test_doctests.py`` runs
them). Outside an ``Examples:`` section Markdown reads ``>>>`` as three nested quotes, so an
example would show as quoted prose with its lines run together. This hook adds a Markdown
preprocessor that puts each doctest (from a ``>>>`` line to the next blank line) in a ``pycon``
fence, for the pages and for mkdocstrings, which renders docstrings with the site's extensions.
"""

from __future__ import annotations

import re

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority

__all__ = ["DoctestFences", "DoctestPreprocessor", "on_config"]

FENCE = re.compile(r"^\s*(```|~~~)")
PROMPT = re.compile(r"^(\s*)>>> ")


class DoctestPreprocessor(Preprocessor):
    """Wrap each doctest that is not already inside a fence in a ``pycon`` fence."""

    def run(self, lines: list[str]) -> list[str]:
        """The lines of a page or docstring with every bare doctest fenced."""
        out: list[str] = []
        fence: str | None = None
        session_indent: str | None = None
        for line in lines:
            if session_indent is not None:
                if line.strip():
                    out.append(line.removeprefix(session_indent))
                    continue
                out.append(f"{session_indent}```")
                session_indent = None
            opening = FENCE.match(line)
            if opening:
                fence = None if fence == opening.group(1) else fence or opening.group(1)
            elif fence is None and (prompt := PROMPT.match(line)):
                session_indent = prompt.group(1)
                out.append(f"{session_indent}```pycon")
                out.append(line.removeprefix(session_indent))
                continue
            out.append(line)
        if session_indent is not None:
            out.append(f"{session_indent}```")
        return out


class DoctestFences(Extension):
    """The Markdown extension that registers `DoctestPreprocessor` before the fences are read."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        """Register the preprocessor after whitespace normalisation (30), before fenced code (25)."""
        md.preprocessors.register(DoctestPreprocessor(md), "doctest_fences", 27)


@event_priority(100)  # before mkdocstrings reads the site's Markdown extensions
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Add `DoctestFences` to the site's Markdown extensions."""
    config.markdown_extensions.append(DoctestFences())  # type: ignore[arg-type]
    return config
