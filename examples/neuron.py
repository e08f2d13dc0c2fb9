"""The smallest demo: one neuron tanh(x·w + b), its value and the gradient of every input."""

from autodiff import Value

x = Value(2.0, name="x")
w = Value(-3.0, name="w")
b = Value(6.8813735870195432, name="b")
y = (x * w + b).tanh()
y.backward()
print(f"y = tanh(x·w + b) = {y.data:.6f}")
for leaf in (x, w, b):
    print(f"dy/d{leaf.name} = {leaf.grad:+.6f}")
