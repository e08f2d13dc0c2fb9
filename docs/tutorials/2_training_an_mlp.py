# %% [markdown]
# # Training an MLP
#
# micrograd's demo, with `nn`: a network learns to separate two interleaving half moons. We train
# it the PyTorch way, `opt.zero_grad(); loss.backward(); opt.step()`, look at the loss curve and
# the decision boundary, and then run the same training step compiled, on numpy batches.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import trange

import autodiff
import nn

# %% [markdown]
# ## The data
#
# 100 points from `nn.datasets.make_moons`, with labels ±1 for the hinge loss.

# %%
points, labels01 = nn.datasets.make_moons(100, noise=0.1, seed=0)
labels = 2 * labels01 - 1
figure, axes = plt.subplots(figsize=(5, 4))
axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", edgecolors="k")
axes.set_title("two moons: 100 points, labels ±1")
plt.show()

# %% [markdown]
# ## The model, the loss and the optimizer
#
# An MLP with two hidden layers of 16 ReLU neurons, started from micrograd's U(−1, 1) weights.
# The loss is micrograd's: the mean hinge loss max(0, 1 − y·score) plus a small L2 penalty
# α·Σp² on every weight and bias (one `autodiff.dot` node). Plain SGD, with the learning rate
# decaying from 1.0 to 0.1.

# %%
model = nn.MLP(2, [16, 16, 1], init="uniform", rng=0)
params = model.parameters()
opt = nn.SGD(params, lr=1.0)
alpha, steps = 1e-4, 100
print(model, "with", len(params), "parameters")


def loss_and_accuracy(model, params):
    scores = [model(point)[0] for point in points.tolist()]
    loss = nn.hinge_loss(scores, labels.tolist()) + alpha * autodiff.dot(params, params)
    accuracy = np.mean([(score.data > 0) == (label > 0) for score, label in zip(scores, labels, strict=True)])
    return loss, accuracy


# %% [markdown]
# ## Training
#
# Each step builds the graph of the whole data set's loss (a few thousand `Value` nodes), runs
# `backward()` through it and moves every parameter against its gradient.

# %%
history = []
started = time.perf_counter()
for k in trange(steps, desc="training"):
    loss, accuracy = loss_and_accuracy(model, params)
    opt.zero_grad()
    loss.backward()
    opt.lr = 1.0 - 0.9 * k / steps
    opt.step()
    history.append((loss.data, accuracy))
value_graph_seconds = (time.perf_counter() - started) / steps
print(f"final loss {history[-1][0]:.4f}, training accuracy {history[-1][1]:.0%}")

# %%
figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.plot([loss for loss, _ in history])
left.set(xlabel="step", ylabel="loss", title="hinge loss + L2", yscale="log")
right.plot([accuracy for _, accuracy in history])
right.set(xlabel="step", ylabel="accuracy", title="training accuracy", ylim=(0.5, 1.02))
plt.show()

# %% [markdown]
# ## The decision boundary
#
# To colour the plane we need the model's score at thousands of grid points. Calling the model
# once per point would build a graph per point; `model.compile()` traces the network once and
# replays it on a whole numpy batch instead.

# %%
forward = model.compile()
grid_x, grid_y = np.meshgrid(np.linspace(-1.5, 2.5, 200), np.linspace(-1.0, 1.5, 200))
scores = forward(np.column_stack([grid_x.ravel(), grid_y.ravel()]))[:, 0].reshape(grid_x.shape)
figure, axes = plt.subplots(figsize=(5, 4))
axes.contourf(grid_x, grid_y, scores > 0, cmap="coolwarm", alpha=0.4)
axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", edgecolors="k")
axes.set_title(f"{model}: decision boundary")
plt.show()

# %% [markdown]
# ## The same step, compiled
#
# `model.compile(loss)` takes a loss of one sample, here the hinge max(0, 1 − y·score), traces it
# once, and compiles it into numpy steps over the whole batch (a matrix product per layer, fused
# element-wise chains). `compiled.backward(rows, weights)` adds the batch's gradients
# into the parameters' `.grad`, exactly as `loss.backward()` does, so the optimizer is unchanged.
# With weights 1/n the hinge terms are averaged; the L2 penalty stays a tiny graph of its own.
#
# First, check that one compiled step computes the same gradients as the graph of Values:

# %%
compiled = model.compile(lambda outputs, label: (1 - label * outputs[0]).relu())
rows = np.column_stack([points, labels])
weights = np.full(len(rows), 1 / len(rows))


def compiled_step():
    opt.zero_grad()
    compiled.backward(rows, weights)
    (alpha * autodiff.dot(params, params)).backward()
    opt.step()


loss, _ = loss_and_accuracy(model, params)
opt.zero_grad()
loss.backward()
by_value_graph = [p.grad for p in params]
opt.zero_grad()
compiled.backward(rows, weights)
(alpha * autodiff.dot(params, params)).backward()
by_compiled = [p.grad for p in params]
print(f"largest difference between the gradients: {np.max(np.abs(np.subtract(by_value_graph, by_compiled))):.1e}")

# %% [markdown]
# Then time both. The numbers below were measured when this page was built, on whatever machine
# built it; `python3 benchmarks/run.py` measures the same comparison carefully, side by side with
# micrograd (see [Performance](../performance.md#benchmarks)).

# %%
repeats = 20
started = time.perf_counter()
for _ in range(repeats):
    compiled_step()
compiled_seconds = (time.perf_counter() - started) / repeats
print(f"one step as a graph of Values: {value_graph_seconds * 1e3:6.1f} ms")
print(f"one step compiled:             {compiled_seconds * 1e3:6.1f} ms")
print(f"the compiled step is {value_graph_seconds / compiled_seconds:.0f}× faster")
