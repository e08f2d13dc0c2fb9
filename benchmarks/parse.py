"""How the time to parse an expression grows with its length: linear, and a megabyte is refused at once.

Usage: ``python3 benchmarks/parse.py [--rounds 5]``

Parses ``sum(x0, x1, ..., xn)`` (every name distinct, so each is placed in the order of first use)
of doubling lengths up to `autodiff.cli.expression.MAX_LENGTH`, interleaving the sizes in each
round, and prints the median time per size with its range and the time per character, which stays
flat when parsing is linear (it grew with the length when each name's position re-encoded the
text). Then the time to refuse a 1 MB expression.
"""

from __future__ import annotations

import argparse
import statistics
import time

from autodiff.cli.expression import MAX_LENGTH, ExpressionError, parse


def expression_of_length(length: int) -> str:
    names, size = [], len("sum()")
    while size + len(f"x{len(names)}, ") <= length:
        names.append(f"x{len(names)}")
        size += len(names[-1]) + 2
    return f"sum({', '.join(names)})"


def seconds(text: str) -> float:
    started = time.perf_counter()
    try:
        parse(text)
    except ExpressionError:
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    lengths = [MAX_LENGTH // 8, MAX_LENGTH // 4, MAX_LENGTH // 2, MAX_LENGTH]
    texts = {length: expression_of_length(length) for length in lengths}
    times: dict[int, list[float]] = {length: [] for length in lengths}
    for _ in range(args.rounds):
        for length in lengths:
            times[length].append(seconds(texts[length]))
    for length in lengths:
        median = statistics.median(times[length])
        print(f"{len(texts[length]):>7,} characters: median {median * 1e3:7.1f} ms "
              f"(range {min(times[length]) * 1e3:.1f}–{max(times[length]) * 1e3:.1f}), "
              f"{median / len(texts[length]) * 1e6:.2f} µs per character")
    megabyte = "x+" * 500_000 + "x"
    refusals = [seconds(megabyte) for _ in range(args.rounds)]
    print(f"a 1 MB expression refused in median {statistics.median(refusals) * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
