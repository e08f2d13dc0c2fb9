"""MkDocs hook: a page shows a section of the README, so the figures are written once.

The README holds the measured figures (performance, RL acceptance runs) next to the commands
that give them. A page of the site that shows one of them has a line
``<!-- README section: HEADING -->`` where the section goes; the build puts the section there,
its headings moved so that it starts at level 2 (level 1, the page's title, when the marker is
the page's first line), and its links made to work on the site: a link
to a heading shown on the same page stays, one to a page under ``docs/`` points to that page,
one to a heading another page shows points there, and any other (another README heading, a file
of the repository) becomes plain text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

__all__ = ["MARKER", "anchor", "on_files", "on_page_markdown", "readme_section", "site_links"]

MARKER = re.compile(r"^<!-- README section: (.+) -->$", flags=re.MULTILINE)
HEADING = re.compile(r"^(#{1,6}) (.+)$", flags=re.MULTILINE)
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
SECTION_LEVEL = 2
TITLE_LEVEL = 1
shown_on: dict[str, str] = {}
"""Anchor of every README heading the site shows → the page that shows it (filled by `on_files`)."""


def anchor(heading: str) -> str:
    """The anchor Markdown's table of contents gives a heading (as GitHub and MkDocs make them)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def readme_section(readme: str, heading: str, shown_level: int = SECTION_LEVEL) -> str:
    """The section of `readme` under `heading` up to the next heading of its level or higher, at `shown_level`."""
    headings = list(HEADING.finditer(readme))
    start = next((found for found in headings if found.group(2) == heading), None)
    if start is None:
        raise PluginError(f"README.md has no heading {heading!r}")
    level = len(start.group(1))
    end = next((found.start() for found in headings
                if found.start() > start.start() and len(found.group(1)) <= level), len(readme))
    shift = shown_level - level
    return HEADING.sub(lambda found: "#" * (len(found.group(1)) + shift) + " " + found.group(2),
                       readme[start.start():end]).rstrip() + "\n"


def site_links(text: str, page_path: str, pages: dict[str, str]) -> str:
    """`text`'s README links as they work on page `page_path`, given the page that shows each heading."""
    up = "../" * page_path.count("/")

    def rewrite(link: re.Match[str]) -> str:
        label, target = link.group(1), link.group(2)
        if re.match(r"[a-z]+://", target):
            return link.group(0)
        if target.startswith("docs/"):
            return f"[{label}]({up}{target.removeprefix('docs/')})"
        if (page := pages.get(target.removeprefix("#"))) and target.startswith("#"):
            return f"[{label}]({target})" if page == page_path else f"[{label}]({up}{page}{target})"
        return label
    return LINK.sub(rewrite, text)


def _readme(config: MkDocsConfig) -> str:
    return (Path(config.config_file_path).parent / "README.md").read_text(encoding="utf-8")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Find which page shows which README heading, so links between them can be kept."""
    readme = _readme(config)
    shown_on.clear()
    for file in files.documentation_pages():
        for heading in MARKER.findall(file.content_string):
            for found in HEADING.finditer(readme_section(readme, heading)):
                shown_on[anchor(found.group(2))] = file.src_uri
    return files


def on_page_markdown(markdown: str, page: Any, config: MkDocsConfig, **_: Any) -> str:
    """Put each README section a page asks for in place of its marker line."""
    if not MARKER.search(markdown):
        return markdown
    readme = _readme(config)

    def section(marker: re.Match[str]) -> str:
        level = TITLE_LEVEL if marker.start() == 0 else SECTION_LEVEL
        return site_links(readme_section(readme, marker.group(1), level), page.file.src_uri, shown_on)
    return MARKER.sub(section, markdown)
