"""MkDocs hook: execute the tutorial notebooks and render them as pages.

A tutorial is a Jupytext "percent" script, ``docs/tutorials/NAME.py``: plain Python in git, so its
diffs are readable and it holds no outputs that could be edited by hand or go stale. Every build
runs each one top to bottom in a fresh kernel (nbclient) and turns the executed notebook into
``tutorials/NAME.md``, with its pictures as files beside it and the executed ``NAME.ipynb`` to
download. An error, a warning or anything else written to stderr fails the build, naming the
notebook and the cell. Nothing on the page loads from the network: outputs become Markdown, files
and plain HTML, with no widget or MathJax scripts.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

__all__ = ["NotebookFailed", "RenderedNotebook", "execute", "on_files", "render", "tutorial_sources"]

TUTORIALS = "tutorials"
CELL_TIMEOUT = 120
"""Seconds a cell may run: each tutorial takes well under a minute in all."""
PARALLEL_KERNELS = 2
"""Kernels run at once: the machine this project is built on has two cores."""

log = logging.getLogger("mkdocs.hooks.tutorials")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class NotebookFailed(Exception):
    """A tutorial raised, warned or wrote to stderr; the message names the notebook and the cell."""


@dataclass
class RenderedNotebook:
    """A tutorial's page: its Markdown, the files it shows (name → bytes) and the executed notebook."""

    markdown: str
    files: dict[str, bytes] = field(default_factory=dict)
    notebook: str = ""


def tutorial_sources(docs_dir: str | Path) -> list[Path]:
    """The tutorial scripts of `docs_dir`, in file-name order (the order of the tutorials)."""
    return sorted((Path(docs_dir) / TUTORIALS).glob("[0-9]*.py"))


async def _execute(path: Path, slots: asyncio.Semaphore) -> nbformat.NotebookNode:
    notebook = jupytext.read(path)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    async with slots:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="tutorial-") as workdir:
            # files a tutorial saves land in a scratch folder, not in the repository
            # the kernel talks over Unix sockets in that folder: no TCP port, nothing on the network
            settings = Config()
            settings.KernelManager.transport = "ipc"
            settings.KernelManager.ip = os.path.join(workdir, "kernel")
            client = NotebookClient(notebook, config=settings, timeout=CELL_TIMEOUT, kernel_name="python3",
                                    resources={"metadata": {"path": workdir}}, store_widget_state=True,
                                    coalesce_streams=True)
            try:
                await client.async_execute()
            except CellExecutionError as error:
                raise NotebookFailed(f"{path.name} failed:\n{error}") from None
        log.info("executed %s/%s in %.1f s", TUTORIALS, path.name, time.perf_counter() - started)
    for number, cell in enumerate(notebook.cells, start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                raise NotebookFailed(f"{path.name}, cell {number} wrote to stderr (a warning is an error here):\n"
                                     f"{cell.source}\n---\n{output.text}")
    return notebook


def execute(paths: Iterable[Path]) -> list[nbformat.NotebookNode]:
    """Execute each tutorial in a fresh kernel, two at a time; `NotebookFailed` on any error or stderr output."""
    async def run_all() -> list[nbformat.NotebookNode]:
        slots = asyncio.Semaphore(PARALLEL_KERNELS)
        return await asyncio.gather(*(_execute(path, slots) for path in paths))
    return asyncio.run(run_all())


def _widget_html(view: dict[str, Any], state: dict[str, Any]) -> str | None:
    """A progress bar widget (tqdm.auto's in Jupyter) as plain HTML from its final stored state."""
    models = state.get("state", {})
    box = models.get(view.get("model_id", ""), {})
    if box.get("model_name") != "HBoxModel":
        return None
    parts = []
    for child in box.get("state", {}).get("children", []):
        model = models.get(child.removeprefix("IPY_MODEL_"), {})
        values = model.get("state", {})
        if model.get("model_name") == "HTMLModel":
            parts.append(f"<span>{values.get('value', '')}</span>")
        elif model.get("model_name") == "FloatProgressModel":
            parts.append(f'<progress value="{values.get("value", 0)}" max="{values.get("max", 1)}"></progress>')
    return f'<div class="tutorial-progress">{" ".join(parts)}</div>' if parts else None


def _text_block(text: str) -> str:
    """An output as a plain-text block of its own style, so it reads apart from the code above it."""
    return f"``` {{ .text .tutorial-output }}\n{text.rstrip()}\n```"


def render(notebook: nbformat.NotebookNode, name: str) -> RenderedNotebook:
    """The page of an executed notebook `name`: Markdown text, output pictures as files, code as Python blocks."""
    rendered = RenderedNotebook(markdown="", notebook=nbformat.writes(notebook))
    widget_state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    download = (f"**Download** [the notebook]({name}.ipynb), executed when this site was built, or "
                f"[its source]({name}.py), a Jupytext script that Jupyter opens as a notebook too.")
    blocks: list[str] = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "markdown":
            blocks.append(cell.source)
            if number == 1:
                blocks.append(download)
            continue
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        blocks.append(f"```python\n{cell.source}\n```")
        for index, output in enumerate(cell.get("outputs", [])):
            if output.output_type == "stream":
                blocks.append(_text_block(output.text))
                continue
            data = output.get("data", {})
            stem = f"{name}_files/cell{number}_{index}"
            if WIDGET_VIEW in data and (widget := _widget_html(data[WIDGET_VIEW], widget_state)):
                blocks.append(widget)
            elif "image/svg+xml" in data:
                rendered.files[f"{stem}.svg"] = data["image/svg+xml"].encode()
                blocks.append(f"![output of cell {number}]({stem}.svg)")
            elif "image/png" in data:
                rendered.files[f"{stem}.png"] = base64.b64decode(data["image/png"])
                blocks.append(f"![output of cell {number}]({stem}.png)")
            elif "text/html" in data:
                # raw HTML (the explorer of autodiff.explore): Markdown passes a block of it through as it is
                blocks.append(data["text/html"].strip())
            elif "text/plain" in data:
                blocks.append(_text_block(data["text/plain"]))
            else:
                raise NotebookFailed(f"{name}, cell {number}: no way to show an output of types {sorted(data)}")
    rendered.markdown = "\n\n".join(blocks) + "\n"
    return rendered


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Replace each tutorial script by its executed page, its pictures and its notebook."""
    sources = tutorial_sources(config.docs_dir)
    try:
        notebooks = execute(sources)
    except NotebookFailed as failure:
        raise PluginError(str(failure)) from None
    for source, notebook in zip(sources, notebooks, strict=True):
        name = source.stem
        rendered = render(notebook, name)
        folder = f"{TUTORIALS}/"
        files.append(File.generated(config, f"{folder}{name}.md", content=rendered.markdown))
        files.append(File.generated(config, f"{folder}{name}.ipynb", content=rendered.notebook))
        for file_name, content in rendered.files.items():
            files.append(File.generated(config, folder + file_name, content=content))
    return files
