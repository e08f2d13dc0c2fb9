"""The TD update: truncated steps bootstrap, terminated ones do not, and the target carries no gradient."""

import random

import pytest

import nn
import rl
from autodiff import Value

X, X_NEXT = (1.0, 0.0), (0.0, 1.0)


def _fixed_q(table):
    """A stand-in Q-network: a lookup table of Q-values per encoded observation."""
    return lambda observation: [Value(v) for v in table[tuple(observation)]]


def test_truncated_transitions_bootstrap_and_terminated_ones_do_not():
    target_q = _fixed_q({X_NEXT: [2.0, 5.0]})
    terminated = rl.Transition(X, 0, 1.0, X_NEXT, terminated=True)
    truncated_or_ongoing = rl.Transition(X, 0, 1.0, X_NEXT, terminated=False)
    assert rl.td_targets(target_q, [terminated, truncated_or_ongoing], 0.5) == [1.0, 1.0 + 0.5 * 5.0]


def test_training_stores_truncated_steps_as_not_terminated(monkeypatch):
    stored = []

    class RecordingBuffer(rl.ReplayBuffer):
        def add(self, transition):
            stored.append(transition)
            super().add(transition)

    monkeypatch.setattr("rl.training.ReplayBuffer", RecordingBuffer)
    # the chain's end is 5 steps from the start: with a 3-step limit every episode is truncated
    config = rl.QLearningConfig(env_id="rl/Chain-v0", env_kwargs={}, max_episode_steps=3, total_steps=30,
                                learning_starts=29, batch_size=4, eval_period=None, eval_episodes=1)
    rl.train(config)
    assert len(stored) == 30
    assert not any(t.terminated for t in stored)  # every episode was cut by the time limit
    # on a 2-state chain every right move terminates
    stored.clear()
    rl.train(config, env=rl.ChainEnv(2))
    assert {t.terminated for t in stored} == {True, False}
    assert all(t.terminated == (t.action == rl.RIGHT) for t in stored)


class _GradientRecorder:
    """An optimizer that only records the gradients `td_update` computed, so they can be checked."""

    def __init__(self, params):
        self.params = params
        self.grads = None

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0

    def step(self):
        self.grads = [p.grad for p in self.params]


def _batch():
    return [
        rl.Transition(X, 0, 0.5, X_NEXT, False),
        rl.Transition(X_NEXT, 1, -1.0, X, False),
        rl.Transition(X, 1, 1.0, X, True),
    ]


def _semi_gradient(q, batch, discount):
    """Σ_m 2 (Q̂_m − Q̃_m) ∇Q̂_m with Q̃_m read as plain numbers: the lecture's semi-gradient of the sum loss."""
    params = q.parameters()
    total = [0.0] * len(params)
    for t in batch:
        bootstrap = 0.0 if t.terminated else discount * max(v.data for v in q(t.next_observation))
        prediction = q(t.observation)[t.action]
        q.zero_grad()
        prediction.backward()
        for i, p in enumerate(params):
            total[i] += 2 * (prediction.data - (t.reward + bootstrap)) * p.grad
    return total


def test_the_gradient_is_the_semi_gradient_when_the_target_uses_the_same_network():
    q = nn.MLP(2, [4, 2], rng=3)
    recorder = _GradientRecorder(q.parameters())
    rl.td_update(q, q, recorder, _batch(), discount=0.9, loss=nn.sse_loss)
    expected = _semi_gradient(q, _batch(), 0.9)
    assert recorder.grads == pytest.approx(expected, rel=1e-12, abs=1e-12)
    # the full gradient, differentiating through the target too, is different: the check can fail
    full = nn.sse_loss(
        [q(t.observation)[t.action] for t in _batch()],
        [t.reward + (0.0 if t.terminated else 0.9 * max(q(t.next_observation), key=lambda v: v.data))
         for t in _batch()],
    )
    q.zero_grad()
    full.backward()
    assert [p.grad for p in q.parameters()] != pytest.approx(expected, rel=1e-6)


def test_the_target_network_and_next_state_values_get_no_gradient():
    q, target_q = nn.MLP(2, [4, 2], rng=3), nn.MLP(2, [4, 2], rng=4)
    next_values = []

    def watched_target(observation):
        outputs = target_q(observation)
        next_values.extend(outputs)
        return outputs

    rl.td_update(q, watched_target, nn.SGD(q.parameters(), 0.1), _batch(), discount=0.9, loss=nn.mse_loss)
    assert next_values, "the target network was consulted"
    assert all(v.grad == 0.0 and v.parents == () for v in next_values)
    assert all(p.grad == 0.0 for p in target_q.parameters())
    assert any(p.grad != 0.0 for p in q.parameters())


def test_the_update_moves_the_prediction_toward_the_target():
    q = nn.MLP(2, [4, 2], rng=5)
    batch = [rl.Transition(X, 0, 1.0, X_NEXT, True)] * 4
    before = q(X)[0].data
    stats = rl.td_update(q, q, nn.SGD(q.parameters(), 0.05), batch, discount=0.9, loss=nn.mse_loss)
    assert stats.loss == pytest.approx((before - 1.0) ** 2)
    assert stats.mean_q == pytest.approx(before)
    assert abs(q(X)[0].data - 1.0) < abs(before - 1.0)


def test_loss_functions_by_name():
    predictions, targets = [Value(3.0), Value(0.0)], [0.0, 0.0]
    assert rl.loss_function("sum")(predictions, targets).data == 9.0
    assert rl.loss_function("mean")(predictions, targets).data == 4.5
    assert rl.loss_function("huber", 1.0)(predictions, targets).data == pytest.approx(2.5 / 2)
    with pytest.raises(ValueError, match="unknown loss"):
        rl.loss_function("l1")


def test_sampling_into_the_update_is_reproducible():
    buffer = rl.ReplayBuffer(10)
    for t in _batch():
        buffer.add(t)
    losses = []
    for _ in range(2):
        q = nn.MLP(2, [4, 2], rng=1)
        rng = random.Random(0)
        opt = nn.Adam(q.parameters(), 0.01)
        losses.append([rl.td_update(q, q, opt, buffer.sample(2, rng), discount=0.9, loss=nn.mse_loss).loss
                       for _ in range(5)])
    assert losses[0] == losses[1]
