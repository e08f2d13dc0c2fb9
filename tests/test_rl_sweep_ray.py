"""rl.sweep on Ray, with tiny runs: failing and diverging runs, resuming, and a driver killed mid-sweep.

The in-process test joins the session's shared 2-node test cluster (tests/conftest.py); the killed
driver starts Ray embedded, as the command does, and its Ray processes are ended with its process group.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nn
import rl
from rl.sweeps import load_sweep
from rl.sweeps.store import load_runs
from tests.conftest import import_or_skip

import_or_skip("ray", "sweep")
ROOT = Path(__file__).resolve().parent.parent
TINY = dict(total_steps=300, learning_starts=100, eval_period=150, eval_episodes=1)


def test_failing_and_diverging_runs_are_recorded_and_the_others_go_on(tmp_path, two_node_ray_cluster):
    base = rl.QLearningConfig(**TINY, optimizer="sgd", loss="sum", target_sync_period=None)
    # the Broken env raises at its 50th step; SGD on the summed loss with step 1000 overflows to NaN
    grid = {"env_id": ["FrozenLake-v1", "tests.sweep_envs:Broken-v0"], "learning_rate": [0.003, 1000.0]}
    summary = rl.sweep(base, grid, [1, 2], out=tmp_path, address=two_node_ray_cluster.address, final_episodes=3,
                       progress=False)
    assert (summary.planned, summary.already_stored, summary.ran) == (8, 0, 8)
    assert (summary.diverged, summary.failed) == (2, 4)
    records = list(load_runs(tmp_path).values())
    for record in records:
        folder = tmp_path / "runs" / record.key
        if record.setting["env_id"] != "FrozenLake-v1":
            assert record.status == "failed"
            assert record.error == "RuntimeError: broken on purpose"
        elif record.setting["learning_rate"] == 1000.0:
            assert record.status == "diverged"
            assert "NaN or infinite" in record.error
            assert not (folder / "q_network.json").exists()
            assert any(value != value for _, value in record.history["losses/td_loss"])  # NaN kept
        else:
            assert record.status == "ok" and record.error is None
            assert isinstance(nn.load(folder / "q_network.json"), nn.MLP)
            # the same seed gives the same run in a Ray worker as here
            local = rl.train(rl.QLearningConfig(**record.config))
            assert record.history == local.history.metrics
    report = summary.report.read_text()
    assert "failed: RuntimeError: broken on purpose" in report

    again = rl.sweep(base, grid, [1, 2], out=tmp_path, address=two_node_ray_cluster.address, final_episodes=3,
                     progress=False, report=False)
    assert (again.already_stored, again.ran) == (8, 0)
    assert {r.key: r.session for r in load_runs(tmp_path).values()} == {r.key: r.session for r in records}


def test_resume_after_the_driver_is_killed(tmp_path):
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "rl", "sweep", "--grid", "loss=sum,mean", "--grid", "optimizer=sgd,adam",
               "--seeds", "1-2", "--workers", "1", "--final-episodes", "3", "--no-progress", "--out", str(out)]
    command += [f"--set={name}={value}" for name, value in TINY.items()]
    driver = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while len(list(out.glob("runs/*/result.json"))) < 2:
            assert driver.poll() is None, driver.stdout.read().decode()
            assert time.monotonic() < deadline, "no two runs finished in 180 s"
            time.sleep(0.2)
        driver.kill()  # SIGKILL: no cleanup of any kind in the driver
        driver.wait()
    finally:
        with contextlib.suppress(ProcessLookupError):  # none left if the driver ended by itself
            os.killpg(driver.pid, signal.SIGKILL)  # the Ray processes the driver started
        driver.stdout.close()
    before = {path.parent.name: path.read_bytes() for path in out.glob("runs/*/result.json")}
    assert 2 <= len(before) < 8

    finished = subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert f"8 runs planned, {len(before)} already stored, {8 - len(before)} run now" in finished.stdout
    after = {path.parent.name: path.read_bytes() for path in out.glob("runs/*/result.json")}
    assert len(after) == 8
    assert all(after[key] == data for key, data in before.items())  # nothing ran twice
    sessions = {json.loads(data)["session"] for key, data in after.items() if key not in before}
    assert len(sessions) == 1 and sessions.isdisjoint(json.loads(data)["session"] for data in before.values())
    rows = load_sweep(out)
    assert len(rows) == 8
    plan = json.loads((out / "sweep.json").read_text())
    assert plan["sessions"][-1]["ran"] == 8 - len(before)

