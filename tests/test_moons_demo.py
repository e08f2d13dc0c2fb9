"""The two-moons data and micrograd's demo (examples/moons.py) with a small step budget."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import nn

DEMO = Path(__file__).resolve().parents[1] / "examples" / "moons.py"


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("moons_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_make_moons_shape_labels_and_seed():
    x, y = nn.datasets.make_moons(101, noise=0.1, seed=3)
    assert x.shape == (101, 2) and y.shape == (101,)
    assert (y == 0).sum() == 51 and (y == 1).sum() == 50
    again_x, again_y = nn.datasets.make_moons(101, noise=0.1, seed=3)
    assert np.array_equal(x, again_x) and np.array_equal(y, again_y)
    assert not np.array_equal(x, nn.datasets.make_moons(101, noise=0.1, seed=4)[0])


def test_make_moons_without_noise_lies_on_the_two_half_circles():
    x, y = nn.datasets.make_moons(40, noise=0.0, seed=0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-15)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-15)
    assert np.all(lower[:, 1] <= 0.5)


@pytest.mark.parametrize(("n", "noise"), [(1, 0.1), (2.5, 0.1), (10, -0.1), (10, float("nan"))])
def test_make_moons_rejects_bad_arguments(n, noise):
    with pytest.raises(ValueError):
        nn.datasets.make_moons(n, noise=noise)


def test_the_demo_reaches_full_training_accuracy(demo, tmp_path, capsys):
    result = demo.main(["--steps", "50", "--quiet", "--out", str(tmp_path / "moons")])
    assert result.accuracy == 1.0
    assert len(result.history) == 50
    assert result.history[-1].loss < 0.1 * result.history[0].loss
    assert result.history[0].lr == 1.0 and result.history[-1].lr == pytest.approx(1.0 - 0.9 * 49 / 50)
    assert "training accuracy 100%" in capsys.readouterr().out
    assert (tmp_path / "moons" / "decision_boundary.png").read_bytes().startswith(b"\x89PNG")


def test_the_demo_draws_the_decision_boundary_only_with_matplotlib(demo, tmp_path):
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    result = demo.train(demo.Settings(steps=1, points=10), verbose=False)
    picture = tmp_path / "moons.png"
    assert demo.draw_decision_boundary(result, picture) == has_matplotlib
    if has_matplotlib:
        assert picture.read_bytes().startswith(b"\x89PNG")
    else:
        assert not picture.exists()
