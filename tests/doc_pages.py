"""The README and the documentation's Markdown pages as the tests read them: pages, sections, code blocks.

A fenced block with a title (```` ```python title="test_hinge.py" ````) is a file the reader
saves and runs; an untitled ```` ```python ```` block is code the reader runs in order down the page.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(path for path in DOCS.rglob("*.md") if "sweeps" not in path.relative_to(DOCS).parts)]
"""Every hand-written page: the README and the site's pages (the sweep reports are written by `rl`)."""


def read(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The part of `text` from the heading line `heading` (``## Name``) to the next heading of its level or higher."""
    prose = without_code(text)
    level = len(heading) - len(heading.lstrip("#"))
    found = re.search(rf"^{re.escape(heading)}$", prose, flags=re.MULTILINE)
    assert found is not None, f"no heading {heading!r}"
    following = re.compile(rf"^#{{1,{level}}} ", flags=re.MULTILINE).search(prose, found.end())
    return text[found.start() : len(text) if following is None else following.start()]


def without_code(text: str) -> str:
    """`text` with its fenced code blocks blanked out, character for character (a ``#`` in code is no heading)."""
    return re.sub(r"^```.*?^```", lambda block: re.sub(r"[^\n]", " ", block.group(0)), text,
                  flags=re.DOTALL | re.MULTILINE)


def blocks(text: str, language: str) -> list[str]:
    """The untitled fenced blocks of `language` in `text`, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def titled_block(text: str, title: str) -> str:
    """The one fenced block of `text` titled `title`."""
    (block,) = re.findall(rf'^```\w+ title="{re.escape(title)}"\n(.*?)^```', text, flags=re.DOTALL | re.MULTILINE)
    return block


def anchor(heading: str) -> str:
    """The anchor GitHub and MkDocs give a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors of every heading of a Markdown text (outside code blocks)."""
    return {anchor(heading) for heading in re.findall(r"^#{1,6} (.*)$", without_code(text), flags=re.MULTILINE)}
