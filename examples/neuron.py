"""The smallest demo: one neuron tanh(x·w + b), its value and the gradient of every input.

    python3 examples/neuron.py      # prints; writes no file
"""

import argparse

from autodiff import Value


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    x = Value(2.0, name="x")
    w = Value(-3.0, name="w")
    b = Value(6.8813735870195432, name="b")
    y = (x * w + b).tanh()
    y.backward()
    print(f"y = tanh(x·w + b) = {y.data:.6f}")
    for leaf in (x, w, b):
        print(f"dy/d{leaf.name} = {leaf.grad:+.6f}")


if __name__ == "__main__":
    main()
