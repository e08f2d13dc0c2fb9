# %% [markdown]
# # Backpropagation, three ways
#
# The lecture's network is made of neurons that each compute σ(wᵀx + b): a weighted sum of their
# inputs plus a bias, passed through an activation σ. Training it needs the gradient of a loss
# with respect to every weight and bias. This notebook computes that gradient three ways and
# checks that they agree:
#
# 1. by **the lecture's layer-wise backward equations**, written with numpy matrices (`nn.reference`);
# 2. by **reverse-mode automatic differentiation**: `loss.backward()` on a graph of `Value`s;
# 3. by **finite differences**: nudge each parameter and watch the loss (`autodiff.numerical_gradient`).
#
# Then it draws the graph that `backward()` walked, and steps through it.

# %%
import numpy as np

import autodiff
import nn
from nn import reference

# %% [markdown]
# ## The network and one sample
#
# Two inputs, a hidden layer of three sigmoid neurons and one linear output neuron:
# `nn.MLP(2, [3, 1])`. The seed fixes the initial weights, so every run of this notebook shows
# the same numbers. The loss is the lecture's squared error L = (ŷ − t)² for one sample.

# %%
model = nn.MLP(2, [3, 1], activation="sigmoid", rng=0)
x, target = [0.5, -1.2], 0.8
model

# %%
for name, parameter in model.named_parameters():
    print(f"{name:22s} {parameter.data:+.6f}")

# %% [markdown]
# ## 1. The lecture's backward equations
#
# Forward propagation keeps every layer's pre-activations xₗ = Wₗ yₗ₋₁ + bₗ and outputs
# yₗ = σ(xₗ). Backward propagation starts from ∂L/∂yₖ = 2(ŷ − t) at the output layer k and
# walks back layer by layer:
#
# - δₗ = ∂L/∂yₗ · σ'(xₗ)
# - ∂L/∂Wₗ = δₗ yₗ₋₁ᵀ and ∂L/∂bₗ = δₗ
# - ∂L/∂yₗ₋₁ = Wₗᵀ δₗ
#
# `nn.reference` writes each of these as one numpy expression.

# %%
network = reference.network_of(model)  # the model's weights as numpy arrays
trace = reference.forward(network, x)
prediction = trace.outputs[-1][0, 0]
layer_gradients, _ = reference.backward(network, trace, output_grad=[[2 * (prediction - target)]])
by_equations = reference.named(layer_gradients)  # keyed by the model's parameter names
print(f"prediction {prediction:.6f}, loss {(prediction - target) ** 2:.6f}")
layer_gradients[0].w  # ∂L/∂W_1: one row per hidden neuron, one column per input

# %% [markdown]
# ## 2. Reverse mode on a graph of Values
#
# Calling the model on the sample records every operation as a `Value` node. `backward()` then
# applies the chain rule once per node, in reverse topological order, and leaves ∂L/∂p in each
# parameter's `.grad`.

# %%
loss = nn.sse_loss(model(x), [target])
loss.backward()
by_backward = {name: p.grad for name, p in model.named_parameters()}
print(f"loss {loss.data:.6f}")
by_backward["layers.0.neurons.0.w.0"], by_equations["layers.0.neurons.0.w.0"]

# %% [markdown]
# ## 3. Finite differences
#
# The central difference (L(p + ε) − L(p − ε)) / 2ε needs no calculus at all: two evaluations of
# the loss per parameter. `autodiff.numerical_gradient` computes it for a function of `Value`s;
# here the point is the parameters themselves, and the function reaches them through the model.

# %%
parameters = model.parameters()
numerical = autodiff.numerical_gradient(lambda *_: nn.sse_loss(model(x), [target]), parameters)
by_differences = {name: g for (name, _), g in zip(model.named_parameters(), numerical, strict=True)}

# %% [markdown]
# ## Do they agree?

# %%
names = [name for name, _ in model.named_parameters()]
equations = np.array([by_equations[n] for n in names])
backward = np.array([by_backward[n] for n in names])
differences = np.array([by_differences[n] for n in names])
print(f"largest |backward − equations|   {np.max(np.abs(backward - equations)):.1e}")
print(f"largest |backward − differences| {np.max(np.abs(backward - differences)):.1e}")
assert np.allclose(backward, equations, rtol=0, atol=1e-12)
assert np.allclose(backward, differences, rtol=0, atol=1e-9)

# %% [markdown]
# The equations and `backward()` agree to the last few bits: they do the same multiplications
# in a different order. Finite differences agree to about 10⁻¹⁰, the error of the difference
# quotient itself. `autodiff.gradcheck` makes this comparison for you, with tolerances, and
# explains any mismatch (see the tutorial [Checking gradients with Hypothesis](3_checking_gradients.md)):

# %%
autodiff.gradcheck(lambda *_: nn.sse_loss(model(x), [target]), parameters)

# %% [markdown]
# ## The graph that backward() walked
#
# `autodiff.draw` shows every value (its name, data and gradient) and every operation. Each
# neuron's wᵀx is a single `dot` node; the parameters have blue borders and the loss a thick
# orange one. `rankdir="TB"` lays it out top to bottom, narrower for a network; with
# `collapse="neuron"` each neuron becomes one box.

# %%
autodiff.draw(loss, rankdir="TB")

# %%
autodiff.draw(loss, rankdir="TB", collapse="neuron")

# %% [markdown]
# ## Watching backward() step by step
#
# `autodiff.explore` makes the same picture interactive. Step through it with the buttons or the
# slider (or click the picture, then use ← and →): first the forward pass, value by value, then
# the backward pass, where each step shows one value's local derivatives, the contribution each
# adds to an input's `.grad`, and the running sum of a value used more than once. Click a value
# to inspect it and see its paths to the loss; hover an edge for its local derivative. Every
# number is computed by the engine in Python; the page only looks them up. A large picture
# scrolls inside its frame to each step's values; `collapse="neuron"` steps through a neuron at
# a time, and `python3 -m autodiff explore "EXPRESSION" NAME=VALUE ... -o page.html` saves a page
# of its own.

# %%
autodiff.explore(loss)
