# %% [markdown]
# # Curvature
#
# `backward()` gives first derivatives. Second derivatives say how the slope itself changes: the
# curvature. `autodiff.grad(..., create_graph=True)` returns gradients that are `Value`s with a
# graph of their own, built from the same op table, so they can be differentiated again.
# `autodiff.hessian` and `autodiff.hvp` build on that. This notebook uses them for Newton's
# method and to measure a network loss's curvature along its gradient.

# %%
import matplotlib.pyplot as plt
import numpy as np

import autodiff
import nn
from autodiff import Value, grad

# %% [markdown]
# ## Newton's method in one variable
#
# f(x) = x²/2 − sin x has its minimum where f′(x) = x − cos x = 0. Newton's method jumps to the
# zero of the slope's tangent line: x ← x − f′(x) / f″(x). Both derivatives come from the engine.

# %%
x = Value(1.0)
for _ in range(5):
    f = x * x / 2 - x.sin()
    (slope,) = grad(f, [x], create_graph=True)  # f′(x) = x − cos x, a Value with a graph
    (curvature,) = grad(slope, [x])  # f″(x) = 1 + sin x
    print(f"x = {x.data:.16f}   f′(x) = {slope.data:+.1e}   f″(x) = {curvature.data:.4f}")
    x = Value(x.data - slope.data / curvature.data)
print(f"x = {x.data:.16f}, cos x = {np.cos(x.data):.16f}")

# %% [markdown]
# The number of correct digits doubles at each step: the quadratic convergence of Newton's method.

# %% [markdown]
# ## Newton's method in two variables: the Rosenbrock valley
#
# f(x, y) = (1 − x)² + 100 (y − x²)² has its minimum at (1, 1), at the bottom of a long curved
# valley where gradient descent crawls. Newton's step solves H·Δ = −∇f with the Hessian H
# (`autodiff.hessian`, n + 1 reverse passes).

# %%
def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def gradient(point):
    x, y = Value(point[0]), Value(point[1])
    return np.array([g.data for g in grad(rosenbrock(x, y), [x, y])])


newton = [np.array([-1.2, 1.0])]
while np.linalg.norm(gradient(newton[-1])) > 1e-10:
    hessian = np.array(autodiff.hessian(rosenbrock, newton[-1].tolist()))
    newton.append(newton[-1] - np.linalg.solve(hessian, gradient(newton[-1])))
print(f"Newton: {len(newton) - 1} steps to {newton[-1]}")

descent = [np.array([-1.2, 1.0])]
for _ in range(2000):
    descent.append(descent[-1] - 1e-3 * gradient(descent[-1]))
print(f"gradient descent (step 0.001): after 2 000 steps at {np.round(descent[-1], 4)}")

# %%
xs, ys = np.meshgrid(np.linspace(-1.5, 1.5, 300), np.linspace(-3.5, 1.5, 300))
figure, axis = plt.subplots(figsize=(7, 4.5))
axis.contour(xs, ys, (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2, levels=np.logspace(-1, 3.5, 15), cmap="viridis",
             alpha=0.5)
axis.plot(*np.array(descent).T, ".-", markersize=2, label="gradient descent, 2 000 steps")
axis.plot(*np.array(newton).T, "o-", label=f"Newton, {len(newton) - 1} steps")
axis.plot(1, 1, "k*", markersize=12)
axis.set(title="Rosenbrock's valley, minimum at (1, 1)", xlabel="x", ylabel="y")
axis.legend()
plt.show()

# %% [markdown]
# ## A network's curvature along its gradient
#
# For a network, the Hessian has one row per parameter: too big to form. The Hessian-vector
# product H·v needs no matrix (`autodiff.hvp`: two reverse passes), and vᵀH v / vᵀv is the
# curvature of the loss along the direction v. Along the gradient g, a quadratic model of the
# loss predicts the best step size: 1 / curvature.
#
# The function passed to `hvp` reaches the parameters through the model; the point is the
# parameters themselves.

# %%
model = nn.MLP(2, [8, 1], activation="tanh", rng=0)
data = [([0.5, -1.0], 0.3), ([1.5, 0.2], -0.7), ([-0.4, 0.9], 1.1), ([0.0, 0.4], 0.5)]


def loss(*_):
    return autodiff.sum((model(x)[0] - y) ** 2 for x, y in data) / len(data)


params = model.parameters()
g = np.array([d.data for d in grad(loss(), params)])
curvature = g @ np.array(autodiff.hvp(loss, params, g.tolist())) / (g @ g)
print(f"{len(params)} parameters, |g| = {np.linalg.norm(g):.4f}")
print(f"curvature along the gradient: {curvature:.4f}, so the best step along it is about {1 / curvature:.3f}")

# %% [markdown]
# Check the prediction: move the parameters along −g by a range of step sizes and measure the
# loss. The quadratic model L − t·|g|² + ½ t²·curvature·|g|² is drawn dashed.

# %%
start = np.array([p.data for p in params])
start_loss = loss().data
steps = np.linspace(0, 2.5 / curvature, 41)
losses = []
for t in steps:
    for p, value in zip(params, start - t * g, strict=True):
        p.data = float(value)
    losses.append(loss().data)
for p, value in zip(params, start, strict=True):
    p.data = float(value)
figure, axis = plt.subplots(figsize=(7, 3.5))
axis.plot(steps, losses, label="loss along −g")
axis.plot(steps, start_loss - steps * (g @ g) + 0.5 * steps**2 * curvature * (g @ g), "--",
          label="quadratic model from g and vᵀHv")
axis.axvline(1 / curvature, color="grey", linestyle=":", label="1 / curvature")
axis.set(xlabel="step size t", ylabel="loss")
axis.legend()
plt.show()
