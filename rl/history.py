"""`History`: the metrics of a run, each a list of (environment step, value), named like CleanRL's."""

from __future__ import annotations

from dataclasses import dataclass, field

from rl.plot import learning_curve_svg

__all__ = ["History"]


@dataclass
class History:
    """Metrics recorded during training, by namespaced name.

    `metrics[name]` is the list of ``(step, value)`` pairs in the order they were recorded, where
    step is the environment step. Names used by `rl.train`:

    - ``charts/episodic_return``, ``charts/episodic_length``: each finished training episode;
    - ``charts/epsilon``, ``charts/learning_rate``: ε and the step size at the end of each episode;
    - ``losses/td_loss``, ``losses/q_values``: each update's loss and mean predicted Q;
    - ``eval/mean_return``, ``eval/std_return``, ``eval/success_rate``: each greedy evaluation;
    - ``eval/exact_return``, ``eval/exact_success``: the greedy policy's exact return and success
      probability within the time limit, for environments that expose their model.
    """

    metrics: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def record(self, name: str, step: int, value: float) -> None:
        """Append ``(step, value)`` to the metric `name`."""
        self.metrics.setdefault(name, []).append((step, float(value)))

    def __getitem__(self, name: str) -> list[tuple[int, float]]:
        try:
            return self.metrics[name]
        except KeyError:
            raise KeyError(f"no metric {name!r} was recorded; recorded: {', '.join(self.metrics) or 'none'}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def steps(self, name: str) -> list[int]:
        """The steps at which `name` was recorded."""
        return [step for step, _ in self[name]]

    def values(self, name: str) -> list[float]:
        """The recorded values of `name`, in order."""
        return [value for _, value in self[name]]

    def last(self, name: str) -> float:
        """The latest value of `name`."""
        return self[name][-1][1]

    def _repr_svg_(self) -> str | None:
        # Jupyter shows a History as its learning curve; before the first return, as text
        return self.learning_curve("learning curve")

    def learning_curve(self, title: str) -> str | None:
        """The returns as an SVG learning curve (`rl.plot.learning_curve_svg`), None before any was recorded."""
        try:
            return learning_curve_svg(self, title)
        except ValueError:
            return None
