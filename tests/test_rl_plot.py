"""rl.plot: learning curves drawn by matplotlib, 880 pixels wide, the same file for the same history."""

import struct

import pytest

import rl
from rl.plot import learning_curve_figure, learning_curve_svg, moving_average, save_learning_curve


def _history(exact=True):
    history = rl.History()
    for episode in range(60):
        history.record("charts/episodic_return", 40 * episode, -1700 + 28 * episode)
    for step in range(0, 2400, 400):
        history.record("eval/mean_return", step, -13.0)
        if exact:
            history.record("eval/exact_return", step, -13.0)
    return history


def _png_size(data):
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def test_moving_average_of_the_last_window_values():
    assert moving_average([1.0, 3.0, 5.0, 7.0], 2) == [1.0, 2.0, 4.0, 6.0]


def test_every_series_is_plotted_with_its_own_style_and_a_legend_below_the_axes():
    figure = learning_curve_figure(_history(), "CliffWalking")
    axes = figure.axes[0]
    lines = axes.get_lines()
    assert [line.get_label() for line in lines] == [
        "training return (mean of the last 20 episodes)", "greedy return (played)", "greedy return (exact)"]
    played, exact = lines[1], lines[2]
    # equal data: the exact line is drawn dashed and thinner over the played one, so both show
    assert list(played.get_ydata()) == list(exact.get_ydata())
    assert exact.get_linestyle() == "--" and exact.get_zorder() > played.get_zorder()
    assert exact.get_linewidth() < played.get_linewidth()
    figure.canvas.draw()
    legend = axes.get_legend().get_window_extent()
    assert legend.y1 <= axes.get_window_extent().y0  # below the axes: never over the data


def test_ticks_are_round_numbers_without_exponent():
    figure = learning_curve_figure(_history(), "CliffWalking")
    figure.canvas.draw()
    axes = figure.axes[0]
    labels = [label.get_text() for label in axes.get_yticklabels() + axes.get_xticklabels()]
    assert "−1,500" in labels and "2,000" in labels
    assert not any("e" in label for label in labels)
    for value in axes.get_yticks():
        assert value % 250 == 0


def test_png_is_880_pixels_wide_and_svg_is_the_same_for_the_same_history(tmp_path):
    png = save_learning_curve(_history(), tmp_path / "curve.png", "title")
    assert _png_size(png.read_bytes())[0] == 880
    svg = save_learning_curve(_history(), tmp_path / "curve.svg", "title")
    assert svg.read_text(encoding="utf-8") == learning_curve_svg(_history(), "title")
    assert 'width="633.6pt"' in svg.read_text(encoding="utf-8")  # 8.8 inches


def test_a_diverged_run_is_plotted_without_its_infinite_points(tmp_path):
    history = _history(exact=False)
    history.record("charts/episodic_return", 3000, float("inf"))
    history.record("charts/episodic_return", 3040, float("nan"))
    save_learning_curve(history, tmp_path / "curve.png", "diverged")


def test_bad_paths_and_empty_histories_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"saved as \.svg or \.png, not \.pdf"):
        save_learning_curve(_history(), tmp_path / "curve.pdf", "title")
    with pytest.raises(ValueError, match="no returns to plot"):
        learning_curve_figure(rl.History(), "title")
