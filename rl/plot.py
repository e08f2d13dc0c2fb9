"""A learning curve as an SVG picture, written by hand: no plotting library needed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    # only named in annotations: rl.history imports this module to show a History in Jupyter
    from rl.history import History

__all__ = ["learning_curve_svg", "moving_average"]

_WIDTH, _HEIGHT = 720, 400
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 20, 40, 50
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """The mean of the last `window` values (fewer at the start) at each position."""
    averaged, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        averaged.append(total / min(i + 1, window))
    return averaged


def learning_curve_svg(history: History, title: str, window: int = 20) -> str:
    """An SVG picture of the training returns (moving average over `window` episodes) and greedy evaluations.

    Plots ``charts/episodic_return`` averaged, ``eval/mean_return`` and, when recorded,
    ``eval/exact_return`` against the environment step.
    """
    series: list[tuple[str, list[tuple[int, float]]]] = []
    if "charts/episodic_return" in history:
        steps = history.steps("charts/episodic_return")
        smooth = moving_average(history.values("charts/episodic_return"), window)
        series.append((f"training return (mean of {window} episodes)", list(zip(steps, smooth, strict=True))))
    for name, label in [("eval/mean_return", "greedy return (played)"), ("eval/exact_return", "greedy return (exact)")]:
        if name in history:
            series.append((label, history[name]))
    points = [p for _, s in series for p in s]
    if not points:
        raise ValueError("the history has no returns to plot")
    x_max = max(max(step for step, _ in points), 1)
    y_min, y_max = min(v for _, v in points), max(v for _, v in points)
    if y_max - y_min < 1e-12:
        y_min, y_max = y_min - 1, y_max + 1
    plot_width, plot_height = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def x_of(step: float) -> float:
        return _LEFT + plot_width * step / x_max

    def y_of(value: float) -> float:
        return _TOP + plot_height * (y_max - value) / (y_max - y_min)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="white"/>',
        f'<text x="{_WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_width}" height="{plot_height}" fill="none" stroke="#444"/>',
    ]
    for i in range(5):
        value = y_min + (y_max - y_min) * i / 4
        step = x_max * i / 4
        parts.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_width}" y1="{y_of(value):.1f}" y2="{y_of(value):.1f}" '
                     f'stroke="#ddd"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y_of(value) + 4:.1f}" text-anchor="end">{value:.3g}</text>')
        parts.append(f'<text x="{x_of(step):.1f}" y="{_TOP + plot_height + 18}" text-anchor="middle">{step:.0f}</text>')
    parts.append(f'<text x="{_LEFT + plot_width / 2}" y="{_HEIGHT - 10}" text-anchor="middle">environment step</text>')
    parts.append(f'<text x="16" y="{_TOP + plot_height / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {_TOP + plot_height / 2})">return</text>')
    for i, (label, data) in enumerate(series):
        color = _COLORS[i % len(_COLORS)]
        coordinates = " ".join(f"{x_of(step):.1f},{y_of(value):.1f}" for step, value in data)
        parts.append(f'<polyline points="{coordinates}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        if len(data) < 60:
            parts.extend(f'<circle cx="{x_of(step):.1f}" cy="{y_of(value):.1f}" r="2.5" fill="{color}"/>'
                         for step, value in data)
        legend_y = _TOP + 16 + 16 * i
        parts.append(f'<line x1="{_LEFT + 10}" x2="{_LEFT + 30}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
                     f'stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{_LEFT + 36}" y="{legend_y}">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
