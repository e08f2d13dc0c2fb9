"""Learning curves drawn by matplotlib (part of the ``rl`` extra), saved as SVG or PNG."""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autodiff.extras import needs_extra
from autodiff.files import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    # only named in annotations: rl.history imports this module to show a History in Jupyter
    from rl.history import History

__all__ = ["learning_curve_figure", "learning_curve_svg", "moving_average", "save_learning_curve"]

WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.8, 4.6, 100
"""At 100 dots per inch the PNG is 880 pixels wide: a README's column, where the text stays readable."""

# (metric, label, style): the exact return is drawn dashed over the played one, so both stay
# visible where they coincide (a deterministic environment plays exactly its exact return)
_EVALUATIONS = (
    ("eval/mean_return", "greedy return (played)", {"color": "#d62728", "linewidth": 3.0, "alpha": 0.75,
                                                   "marker": "o", "markersize": 5, "zorder": 3}),
    ("eval/exact_return", "greedy return (exact)", {"color": "#1a1a1a", "linewidth": 1.4, "linestyle": "--",
                                                   "marker": "x", "markersize": 6, "zorder": 4}),
)


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """The mean of the last `window` values (fewer at the start) at each position."""
    averaged, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        averaged.append(total / min(i + 1, window))
    return averaged


def learning_curve_figure(history: History, title: str, window: int = 20) -> Figure:
    """A matplotlib figure of the training returns (moving average over `window` episodes) and greedy evaluations.

    Plots ``charts/episodic_return`` averaged, ``eval/mean_return`` and, when recorded,
    ``eval/exact_return`` against the environment step; the legend sits below the axes, off the
    data. Points that are not finite (a diverged run) are left out. Raises `ValueError` when the
    history holds no return.
    """
    with needs_extra("rl", "rl.plot"):
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, MaxNLocator

    series: list[tuple[str, list[tuple[int, float]], dict[str, object]]] = []
    if "charts/episodic_return" in history:
        steps = history.steps("charts/episodic_return")
        smooth = moving_average(history.values("charts/episodic_return"), window)
        series.append((f"training return (mean of the last {window} episodes)", list(zip(steps, smooth, strict=True)),
                       {"color": "#1f77b4", "linewidth": 1.5, "zorder": 2}))
    series.extend((label, history[name], style) for name, label, style in _EVALUATIONS if name in history)
    if not any(points for _, points, _ in series):
        raise ValueError("the history has no returns to plot (no charts/episodic_return nor eval/mean_return)")

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    for label, points, style in series:
        finite = [(step, value) for step, value in points if math.isfinite(value)]
        axes.plot([step for step, _ in finite], [value for _, value in finite], label=label, **style)  # type: ignore[arg-type]
    axes.set_title(title, fontsize=13)
    axes.set_xlabel("environment step", fontsize=11)
    axes.set_ylabel("return", fontsize=11)
    axes.set_xlim(left=0)
    for axis in (axes.xaxis, axes.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(FuncFormatter(_round_number))
    axes.tick_params(labelsize=10)
    axes.grid(color="#dddddd", linewidth=0.8)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=len(series), frameon=False, fontsize=10)
    return figure


def learning_curve_svg(history: History, title: str, window: int = 20) -> str:
    """The learning curve of `learning_curve_figure` as SVG text."""
    return _figure_bytes(learning_curve_figure(history, title, window), "svg").decode("utf-8")


def save_learning_curve(history: History, path: str | os.PathLike[str], title: str, window: int = 20) -> Path:
    """Save the learning curve to `path`, as SVG or PNG (880 pixels wide) after its extension; returns the path."""
    target = Path(path)
    file_format = target.suffix.lower().lstrip(".")
    if file_format not in ("svg", "png"):
        raise ValueError(f"a learning curve is saved as .svg or .png, not {target.suffix or 'without extension'}: "
                         f"{target}")
    return atomic_write(target, _figure_bytes(learning_curve_figure(history, title, window), file_format))


def _figure_bytes(figure: Figure, file_format: str) -> bytes:
    with needs_extra("rl", "rl.plot"):
        import matplotlib

    buffer = io.BytesIO()
    # a fixed salt for the SVG's element ids and no date: the same history gives the same file
    with matplotlib.rc_context({"svg.hashsalt": "learning-curve", "svg.fonttype": "path"}):
        figure.savefig(buffer, format=file_format, metadata={"Date": None} if file_format == "svg" else None)
    return buffer.getvalue()


def _round_number(value: float, _position: object = None) -> str:
    """A tick label without exponent: 1,690 and -13, 0.25 as 0.25."""
    if value == int(value):
        return f"{int(value):,}".replace("-", "−")
    return f"{value:,.10g}".replace("-", "−")
