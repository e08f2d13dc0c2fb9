# %% [markdown]
# # Semi-gradient Q-learning
#
# The lecture's algorithm: a network Q̂(x, u) estimates the return of taking action u in state x.
# After each transition (x, u, r, x′) it moves Q̂(x, u) toward the target
# Q̃ = r + α·max_v Q̂(x′, v), where α is the discount. The target is held **constant**: the
# gradient flows through the prediction Q̂(x, u) only. That is the "semi" in semi-gradient.
#
# We write the loop out in full on a tiny problem whose answer is known exactly, then let
# `rl.train` solve FrozenLake, and finally see what happens when the target is not held constant.

# %%
import random

import matplotlib.pyplot as plt
import numpy as np

import autodiff
import nn
import rl

# %% [markdown]
# ## The chain
#
# Six states in a row. The episode starts in state 0; `RIGHT` moves one state on, `LEFT` one state
# back, and reaching state 5 ends the episode with reward 1. With discount α = 0.9 the optimal
# values are known in closed form, `rl.chain_optimal_q`: going right from state s is worth
# α⁴⁻ˢ.

# %%
env = rl.ChainEnv(6)
discount = 0.9
q_star = rl.chain_optimal_q(6, discount)
print("Q*(s, left)  ", np.round(q_star[:5, rl.LEFT], 4))
print("Q*(s, right) ", np.round(q_star[:5, rl.RIGHT], 4))

# %% [markdown]
# ## The lecture's loop, step by step
#
# - the state is fed to the network one-hot (`rl.ObservationEncoder`);
# - actions are ε-greedy, with ε falling from 1 to 0.1;
# - transitions go to a replay buffer, and each step learns from a mini-batch of 8;
# - the targets are computed from plain floats under `autodiff.no_grad()`, so they are constants;
#   a terminal step has no bootstrap term;
# - the loss is the lecture's sum of squared errors Σ_m (Q̂_m − Q̃_m)², and the update is
#   `opt.zero_grad(); loss.backward(); opt.step()`.
#
# One seeded `random.Random` drives the network's initialisation, exploration and sampling, so
# the run is the same every time.

# %%
encode = rl.ObservationEncoder(env.observation_space)
states = [encode(s) for s in range(5)]


def q_table(q):
    with autodiff.no_grad():
        return np.array([[v.data for v in q(x)] for x in states])


def learn(steps=1500, semi_gradient=True, seed=0):
    rng = random.Random(seed)
    q = nn.MLP(6, [8, 2], rng=rng)
    opt = nn.SGD(q.parameters(), lr=0.01)
    buffer = rl.ReplayBuffer(1000)
    errors = []
    observation, _ = env.reset(seed=seed)
    x = encode(observation)
    for step in range(steps):
        epsilon = max(0.1, 1 - step / 1000)
        action = rng.randrange(2) if rng.random() < epsilon else rl.greedy_action(q, x)
        observation, reward, terminated, truncated, _ = env.step(action)
        next_x = encode(observation)
        buffer.add(rl.Transition(x, action, reward, next_x, terminated))
        x = next_x
        if terminated or truncated:
            observation, _ = env.reset()
            x = encode(observation)
        if len(buffer) < 50:
            continue
        batch = buffer.sample(8, rng)
        predictions = [q(t.observation)[t.action] for t in batch]
        if semi_gradient:
            with autodiff.no_grad():  # the targets are constants
                targets = [t.reward + (0 if t.terminated else discount * max(v.data for v in q(t.next_observation)))
                           for t in batch]
        else:  # the full "residual" gradient: the targets stay in the graph
            targets = [t.reward + (0 if t.terminated else discount * autodiff.max(q(t.next_observation)))
                       for t in batch]
        loss = nn.sse_loss(predictions, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            errors.append((step, np.abs(q_table(q) - q_star[:5]).max()))
    return q, errors


q, semi_gradient_errors = learn()
learned = q_table(q)
print("Q̂(s, left)  ", np.round(learned[:, rl.LEFT], 4))
print("Q̂(s, right) ", np.round(learned[:, rl.RIGHT], 4))
print(f"largest |Q̂ − Q*| = {np.abs(learned - q_star[:5]).max():.1e}")
print("greedy actions:", ["right" if a == rl.RIGHT else "left" for a in learned.argmax(axis=1)])

# %% [markdown]
# On this small deterministic problem Q̂ reaches Q* to many digits, and the greedy policy goes
# right everywhere.
# `rl.td_update` is exactly this update, and `rl.train` this whole loop with more options
# (target networks, Adam, Huber loss, evaluations, a compiled fast path).

# %% [markdown]
# ## FrozenLake
#
# A 4×4 frozen lake: walk from the start S to the goal G without falling into a hole H. `rl.train`
# with its defaults (FrozenLake without slipping, Adam, a target network), here for 2 000 steps
# instead of 3 000, learns it in seconds; in Jupyter the progress bar is a widget, and the result
# is shown as its learning curve: the training return, averaged over 20 episodes, and the greedy
# policy's return, played and exact.

# %%
config = rl.QLearningConfig(seed=1, total_steps=2000)
result = rl.train(config, progress=True)
result

# %% [markdown]
# Value iteration (`rl.value_iteration`) computes the optimal policy from the lake's model. The
# learned greedy policy (`rl.greedy_policy`) next to it:

# %%
lake = rl.make_env(config.env_id, env_kwargs=config.env_kwargs)
optimum = rl.value_iteration(lake, config.discount)
policies = {"learned greedy policy": rl.greedy_policy(result.q_network, lake), "value iteration": optimum.policy}
grid = lake.unwrapped.desc.astype(str)
arrows = {0: (-1, 0), 1: (0, -1), 2: (1, 0), 3: (0, 1)}  # FrozenLake's actions: left, down, right, up
figure, axes = plt.subplots(1, 2, figsize=(8, 4))
for axis, (title, policy) in zip(axes, policies.items(), strict=True):
    axis.imshow(np.isin(grid, ["H"]), cmap="Blues", vmin=0, vmax=1.5)
    for (row, column), cell in np.ndenumerate(grid):
        if cell in "HG":
            axis.text(column, row, cell, ha="center", va="center", fontsize=16)
        else:
            dx, dy = arrows[int(policy[row * grid.shape[1] + column])]
            axis.arrow(column - 0.25 * dx, row + 0.25 * dy, 0.5 * dx, -0.5 * dy, head_width=0.15, color="black")
    value = rl.evaluate_policy(lake, policy, discount=config.discount).value
    axis.set(title=f"{title}\ndiscounted value {value:.4f}", xticks=[], yticks=[])
plt.show()

# %% [markdown]
# ## When the target is not held constant
#
# What if the targets stay in the graph, so that `backward()` also differentiates
# α·max_v Q̂(x′, v)? That is the full gradient of the squared TD error, the "residual gradient".
# It pulls Q̂(x′) toward the prediction as much as it pulls the prediction toward the target,
# so information about the reward flows backward along the chain much more slowly.
# Same chain, same seed, same number of steps. (On this deterministic chain both head for Q*; with
# sampled transitions of a stochastic problem, the residual gradient is also known to converge to
# the wrong values: Sutton and Barto, *Reinforcement Learning*, 2nd edition, section 11.5.)

# %%
q_residual, residual_errors = learn(semi_gradient=False)
figure, axis = plt.subplots(figsize=(7, 3.5))
for label, errors in [("semi-gradient (target constant)", semi_gradient_errors),
                      ("residual gradient (target differentiated)", residual_errors)]:
    axis.plot(*zip(*errors, strict=True), label=label)
axis.set(xlabel="environment step", ylabel="max |Q̂ − Q*|", yscale="log", title="the chain: distance to Q*")
axis.legend()
plt.show()
print(f"max |Q̂ − Q*| at the end: semi-gradient {semi_gradient_errors[-1][1]:.1e},",
      f"residual {residual_errors[-1][1]:.1e}")
