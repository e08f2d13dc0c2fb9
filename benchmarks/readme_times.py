"""Wall-clock times of the commands the documentation gives a time for, run as a user runs them.

Each command runs in a shell, from the repository root or from an empty temporary folder (so the
runs it saves land there, not in the repository), `--repeat` times, one after the other. Prints
the machine (CPU model, cores, Python, load average before and after: on a shared machine, other
jobs slow every command) and each command's wall-clock times, their range and median, and the CPU
time it used (user + system, its child processes included), which other jobs change much less.

    python3 benchmarks/readme_times.py                        # every command once
    python3 benchmarks/readme_times.py --only demo rl-tests --repeat 3
    python3 benchmarks/readme_times.py --list
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the commands import this checkout's packages, whatever the environment has installed
CHECKOUT = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

# name: (command, where it runs: the repository or an empty folder, the exit status it ends with)
COMMANDS = {
    "demo": ("python3 -m rl", "empty", 0),
    "pytest": ("python3 -m pytest", "repository", 0),
    "rl-tests": ("python3 -m pytest tests/test_rl_*.py", "repository", 0),
    "docs-tests": ("python3 -m pytest tests/test_docs.py", "repository", 0),
    "moons": (f"python3 {ROOT / 'examples' / 'moons.py'}", "empty", 0),
    "cliff-walking-cli": ("python3 -m rl --env CliffWalking-v1 --success end --discount 0.99 --steps 20000 "
                          "--train-frequency 2 --target-sync-period 200 --anneal-lr --eval-episodes 1",
                          "empty", 0),
    "cartpole-cli": ("python3 -m rl --env CartPole-v1 --seed 1", "empty", 0),
    "cliff-walking": (f"python3 {ROOT / 'examples' / 'cliff_walking.py'}", "empty", 0),
    "frozen-lake-slippery": (f"python3 {ROOT / 'examples' / 'frozen_lake_slippery.py'}", "empty", 0),
    # micrograd fails some checks, so the command ends with status 1
    "check-engine": ("python3 -m autodiff check-engine micrograd.engine:Value --seed 0", "empty", 1),
}


def machine() -> str:
    """CPU model, cores, OS and Python, as the documentation names the machine."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    return (f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def checkout() -> str:
    """The commit measured, and whether the working tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{commit} (clean)" if not git("status", "--porcelain") else f"{commit} with uncommitted changes"


def load() -> str:
    """The 1-minute load average: above the number of cores, other jobs were competing."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "unknown"


def run(command: str, where: str, status: int, show: bool) -> tuple[float, float]:
    """Seconds of wall-clock and of CPU time `command` took (its output shown with `show`); raises if it failed."""
    with tempfile.TemporaryDirectory() as empty:
        cpu_before = cpu_of_children()
        start = time.perf_counter()
        done = subprocess.run(command, shell=True, cwd=ROOT if where == "repository" else empty, env=CHECKOUT,
                              stdout=None if show else subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - start
        cpu = cpu_of_children() - cpu_before
    if done.returncode != status:
        raise SystemExit(f"{command!r} ended with status {done.returncode}, not {status}:\n{done.stderr[-2000:]}")
    return seconds, cpu


def cpu_of_children() -> float:
    """User + system seconds of every finished child process (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def shown(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=list(COMMANDS), metavar="NAME",
                        help=f"the commands to time (default: all): {', '.join(COMMANDS)}")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command (default: %(default)s)")
    parser.add_argument("--list", action="store_true", help="print the commands and exit")
    parser.add_argument("--show", action="store_true", help="show what the commands print (their results)")
    args = parser.parse_args()
    names = args.only or list(COMMANDS)
    if args.list:
        for name in names:
            command, where, _ = COMMANDS[name]
            print(f"{name}: {command}  (from the {where} folder)")
        return
    print(f"machine: {machine()}; load average {load()} at the start", flush=True)
    print(f"checkout: {ROOT} at {checkout()}", flush=True)
    for name in names:
        command, where, status = COMMANDS[name]
        runs = [run(command, where, status, args.show) for _ in range(args.repeat)]
        times, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
        print(f"{name}: {', '.join(shown(t) for t in times)}  (range {shown(min(times))}–{shown(max(times))}, "
              f"median {shown(statistics.median(times))}; CPU {shown(min(cpus))}–{shown(max(cpus))}; "
              f"load average {load()})", flush=True)
    print(f"Python: {sys.executable}")


if __name__ == "__main__":
    main()
