"""Jupyter shows a training run (`rl.TrainResult`) and a `rl.History` as their learning curve."""

import rl
from rl.plot import learning_curve_svg


def test_a_history_is_shown_as_its_learning_curve():
    history = rl.History()
    assert history._repr_svg_() is None  # nothing to draw yet: Jupyter falls back to the text
    for step, value in [(10, 0.0), (25, 1.0), (31, 1.0)]:
        history.record("charts/episodic_return", step, value)
    history.record("eval/mean_return", 31, 1.0)
    picture = history._repr_svg_()
    assert "<svg" in picture and picture.rstrip().endswith("</svg>")
    assert picture == learning_curve_svg(history, "learning curve")


def test_a_training_run_is_shown_as_its_learning_curve():
    config = rl.QLearningConfig(env_id="rl/Chain-v0", env_kwargs={}, total_steps=120, learning_starts=20,
                                batch_size=4, eval_period=None, eval_episodes=1, seed=3)
    result = rl.train(config)
    picture = result._repr_svg_()
    assert "<svg" in picture
    assert picture == learning_curve_svg(result.history, f"rl/Chain-v0, seed 3: {result.episodes} episodes")
