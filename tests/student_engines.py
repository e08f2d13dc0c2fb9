"""Micrograd-style engines for the engine checker's tests: one right, the others each with one classic bug.

Written the way a student writes micrograd: closures for backward, a recursive topological sort
(so deep chains raise RecursionError). Unlike micrograd 0.1.0, backward() first zeroes the
gradients of the inner nodes, so that only the one bug of each subclass fails. Each node is made
with ``type(self)``, so a subclass that changes one op keeps it everywhere.
"""

import math


class Value:
    def __init__(self, data, _children=()):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)

    def _node(self, data, *children):
        return type(self)(data, children)

    def _lift(self, other):
        return other if isinstance(other, Value) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        out = self._node(self.data + other.data, self, other)

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = self._node(self.data * other.data, self, other)

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent):
        assert isinstance(exponent, (int, float)), "only constant powers"
        out = self._node(self.data**exponent, self)

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad if exponent else 0.0

        out._backward = _backward
        return out

    def _unary(self, data, slope):
        out = self._node(data, self)

        def _backward():
            self.grad += slope(out.data) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        return self._unary(math.tanh(self.data), lambda t: 1 - t * t)

    def exp(self):
        return self._unary(math.exp(self.data), lambda e: e)

    def relu(self):
        return self._unary(max(self.data, 0.0), lambda r: float(r > 0))

    def backward(self):
        order, seen = [], set()

        def build(node):
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    build(child)
                order.append(node)

        build(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1


class TanhSlopeWithoutSquare(Value):
    """tanh's derivative written 1 − t instead of 1 − t²."""

    def tanh(self):
        return self._unary(math.tanh(self.data), lambda t: 1 - t)


class MulThatAssigns(Value):
    """A __mul__ whose backward sets its operands' gradients instead of adding to them."""

    def __mul__(self, other):
        other = self._lift(other)
        out = self._node(self.data * other.data, self, other)

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out


class ExpThatAssigns(Value):
    """An exp whose backward sets its input's gradient instead of adding to it."""

    def exp(self):
        out = self._node(math.exp(self.data), self)

        def _backward():
            self.grad = out.data * out.grad

        out._backward = _backward
        return out


class BreadthFirstBackward(Value):
    """A backward pass in breadth-first order: a node can pass its gradient on before all of it has arrived."""

    def backward(self):
        self.grad = 1.0
        queue, seen = [self], {self}
        while queue:
            node = queue.pop(0)
            node._backward()
            for child in node._prev:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)


class TanhWithATypo(Value):
    """A tanh that exists but raises AttributeError from inside the engine: a bug, not a missing op."""

    def tanh(self):
        return self._unary(math.tanhh(self.data), lambda t: 1 - t * t)
