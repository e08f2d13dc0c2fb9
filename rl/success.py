"""What counts as a successful episode: Gymnasium has no standard flag, so the rule is named."""

from __future__ import annotations

from typing import Literal

__all__ = ["SUCCESS_RULES", "SuccessRule", "check_rule", "is_success"]

SuccessRule = Literal["goal", "end", "survival"]
"""The name of a success rule, a key of `SUCCESS_RULES`."""

SUCCESS_RULES: dict[str, str] = {
    "goal": "the episode terminated on a step with a positive reward (FrozenLake, Taxi, the chain)",
    "end": "the episode terminated, whatever the reward (CliffWalking, MountainCar)",
    "survival": "the episode ran to its time limit without terminating (CartPole)",
}
"""Each success rule and what it means, with the environments it suits."""


def check_rule(rule: str) -> None:
    """Raise `ValueError` unless `rule` names a success rule."""
    if rule not in SUCCESS_RULES:
        raise ValueError(f"unknown success rule {rule!r}; the rules are: {', '.join(SUCCESS_RULES)}")


def is_success(rule: str, reward: float, terminated: bool, truncated: bool) -> bool:
    """Whether an episode whose last step had `reward`, `terminated`, `truncated` succeeded under `rule`."""
    check_rule(rule)
    if rule == "goal":
        return terminated and reward > 0
    if rule == "end":
        return terminated
    return truncated and not terminated
