"""Hostile input to the parts that landed after issue #12's review: the engine checker and the sweeps.

Each test is one hole found by probing, fixed: a traceback, a silent pass, an import named by a file.
"""

import dataclasses
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import nn
import rl
from autodiff.cli import main
from autodiff.files import atomic_write
from autodiff.testing import EngineLoadError, check_engine, load_engine
from rl.cli import main as rl_main
from rl.environments import check_registered
from rl.sweeps import load_sweep, summarize
from rl.sweeps.plan import run_key
from rl.sweeps.store import RUN_FORMAT, SWEEP_FORMAT, read_plan, write_plan

ROOT = Path(__file__).resolve().parents[1]

ENGINES = '''
class ProbeRaises:
    def __init__(self, x):
        pass

    def __getattr__(self, name):
        raise RuntimeError("no attribute service")


class ReadsAsText:
    """Makes leaves and supports every operator, but its values are not numbers."""

    def __init__(self, x):
        self.data, self.grad = "abc", 0.0

    def backward(self):
        pass

    def __add__(self, other):
        return self

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = __add__
'''


@pytest.fixture
def engines(tmp_path, monkeypatch):
    (tmp_path / "hostile_engines.py").write_text(ENGINES)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_an_engine_whose_probe_raises_is_a_load_error_not_a_traceback(engines, capsys):
    with pytest.raises(EngineLoadError, match=r"hostile_engines:ProbeRaises\(0.5\) could not be probed: "
                                              r"RuntimeError: no attribute service"):
        load_engine("hostile_engines:ProbeRaises")
    assert main(["check-engine", "hostile_engines:ProbeRaises"]) == 2
    assert "could not be probed" in capsys.readouterr().err


def test_an_engine_that_supports_no_op_checked_has_not_passed(engines, capsys):
    report = check_engine(load_engine("hostile_engines:ReadsAsText"), ops=["add", "mul"], max_examples=2,
                          depth=2, seed=0)
    assert report.judged == 0 and not report.failures
    assert not report.passed
    status = main(["check-engine", "hostile_engines:ReadsAsText", "--ops", "add,mul", "--examples", "2",
                   "--depth", "2", "--seed", "0"])
    out = capsys.readouterr().out
    assert status == 1
    assert out.rstrip().endswith("No check ran; 2 ops unsupported: the engine supports none of the ops checked, "
                                 "so it has passed nothing.")



def test_a_chain_deeper_than_the_probe_can_take_is_refused_at_once(capsys):
    # it was a loop of 10**12 Python steps before the probe, checking the chain's op stays finite
    assert main(["check-engine", "micrograd.engine:Value", "--ops", "add", "--depth", "1000000000000"]) == 2
    assert capsys.readouterr().err == "python3 -m autodiff check-engine: error: argument --depth: at most 10,000,000\n"
    with pytest.raises(ValueError, match="depth must be at most 10,000,000, got 10,000,001"):
        check_engine(load_engine("micrograd.engine:Value"), depth=10_000_001)

# ---------------------------------------------------------------------------------------------
# sweep folders: sweep.json and each run's result.json are files from elsewhere (a shared folder)

SWEEP_BASE = rl.QLearningConfig(total_steps=300, eval_period=100, eval_episodes=1, env_kwargs={"is_slippery": False})


def plan_document(**changes):
    plan = {"format": SWEEP_FORMAT, "base": dataclasses.asdict(SWEEP_BASE), "grid": {}, "seeds": [1, 2],
            "metric": None, "threshold": 0.5, "sessions": [{"session": "s1", "seconds": 3.0, "ran": 2}]}
    return json.loads(json.dumps({**plan, **changes}))


def stored_sweep(folder, **plan_changes):
    """A sweep folder as `rl.sweep` leaves it, written by hand (no Ray): a plan and two finished runs."""
    plan = plan_document(**plan_changes)
    write_plan(folder, {name: value for name, value in plan.items() if name != "format"})
    for seed in plan["seeds"]:
        config = dataclasses.replace(rl.QLearningConfig(**plan["base"]), seed=seed)
        key = run_key(config)
        (folder / "runs" / key).mkdir(parents=True)
        (folder / "runs" / key / "result.json").write_text(json.dumps(run_document(key, seed, config)))
    return folder


def run_document(key, seed, config):
    return {"format": RUN_FORMAT, "key": key, "setting": {}, "seed": seed, "config": dataclasses.asdict(config),
            "status": "ok", "error": None, "final": {"eval/exact_success": 0.25 * seed, "eval/mean_return": 0.5},
            "history": {"eval/exact_success": [[100, 0.0], [200, 0.5]]}, "seconds": 1.5, "node": "n1",
            "session": "s1", "code": "c1"}


MARKER_MODULE = "from pathlib import Path\nPath('imported.marker').write_text('ran')\n"


def test_sweep_report_never_imports_a_module_named_by_sweep_json(tmp_path):
    (tmp_path / "evilmod.py").write_text(MARKER_MODULE)
    folder = stored_sweep(tmp_path / "sweep", base={**plan_document()["base"], "env_id": "evilmod:FrozenLake-v1"})
    done = subprocess.run([sys.executable, "-m", "rl", "sweep-report", str(folder)], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "imported.marker").exists()
    report = (folder / "report.md").read_text()
    assert ("No optimum for base config: " + str(folder / "sweep.json") + " names the environment "
            "'evilmod:FrozenLake-v1', which is not an id in Gymnasium's registry") in report
    assert "import its module, then call rl.sweeps.write_report" in report


def test_a_module_id_whose_module_is_already_imported_imports_nothing_and_gets_its_optimum(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "lake_envs_already_imported", types.ModuleType("lake_envs_already_imported"))
    env_id = "lake_envs_already_imported:FrozenLake-v1"
    folder = stored_sweep(tmp_path, base={**plan_document()["base"], "env_id": env_id})
    _, (summary,) = summarize(folder)
    # value iteration on the 4x4 lake without slipping always reaches the goal
    assert summary.optimum == 1.0 and summary.optimum_unknown == ""
    assert check_registered(env_id, "f") == env_id
    for refused in ["lake_envs_not_imported:FrozenLake-v1", "lake_envs_already_imported:NoSuchEnv-v0", "a:b:c",
                    ":FrozenLake-v1", 5]:
        with pytest.raises(ValueError, match="which is not an id in Gymnasium's registry"):
            check_registered(refused, "f")


def deeply_nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(("damage", "message"), [
    (lambda plan: b"\xff\xfe not UTF-8", "it is not UTF-8 text"),
    (lambda plan: json.dumps(plan).replace('"threshold": 0.5', '"threshold": NaN').encode(), "NaN is not a number"),
    (lambda plan: json.dumps(plan).replace('"threshold": 0.5', '"threshold": 1e400').encode(),
     "'threshold' must be a finite number or null"),
    (lambda plan: json.dumps(plan).replace('"metric": null', '"metric": null, "metric": "x"').encode(),
     "the key 'metric' appears more than once"),
    (lambda plan: json.dumps({**plan, "grid": {"env_kwargs": [json.loads(deeply_nested(900))]}}).encode(),
     "…: invalid QLearningConfig: env_kwargs"),
    (lambda plan: ('{"format": "rl-sweep/1", "base": ' + deeply_nested(100_000) + "}").encode(),
     "nested too deeply"),
    (lambda plan: json.dumps({**plan, "metric": ["eval/exact_success"]}).encode(), "'metric' must be a text or null"),
    (lambda plan: json.dumps({**plan, "threshold": "high"}).encode(), "'threshold' must be a finite number"),
    (lambda plan: json.dumps({**plan, "sessions": [5]}).encode(), "each session must be an object"),
    (lambda plan: json.dumps({**plan, "sessions": [{"ran": "2", "seconds": 1}]}).encode(), "a whole number 'ran'"),
    (lambda plan: json.dumps({**plan, "base": {**plan["base"], "bogus": 1}}).encode(),
     "'base': 'bogus' is not a field of QLearningConfig"),
    (lambda plan: json.dumps({**plan, "base": {**plan["base"], "discount": "high"}}).encode(),
     "'base': invalid QLearningConfig: discount must be a number"),
    (lambda plan: json.dumps({**plan, "base": {"env_id": "FrozenLake-v1"}}).encode(), None),
    (lambda plan: json.dumps({**plan, "grid": {"learning_rate": list(range(1, 1001))},
                              "seeds": list(range(1000))}).encode(), "1,000,000 runs, more than the limit"),
])
def test_a_damaged_sweep_json_is_one_clear_error(tmp_path, capsys, damage, message):
    folder = stored_sweep(tmp_path)
    (folder / "sweep.json").write_bytes(damage(plan_document()))
    if message is None:  # missing base fields take QLearningConfig's defaults, as in a run's config.json
        assert read_plan(folder)["base"] == json.loads(json.dumps(dataclasses.asdict(rl.QLearningConfig())))
        return
    with pytest.raises(ValueError) as refused:
        load_sweep(folder)
    assert message in str(refused.value)
    with pytest.raises(SystemExit) as stopped:
        rl_main(["sweep-report", str(folder)])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and message in error and len(error) < 600


TOO_LARGE = 12345.678  # written as 1e400, which JSON readers take as infinity


@pytest.mark.parametrize(("change", "message"), [
    ({"code": ["c1"]}, "key, node, session and code must be texts"),
    ({"node": {"n": 1}}, "key, node, session and code must be texts"),
    ({"error": 5}, "error must be a text or null"),
    ({"final": {"eval/exact_success": TOO_LARGE}}, "final must map names to numbers"),
    ({"final": {"eval/exact_success": 10**400}}, "final must map names to numbers"),
    ({"seconds": TOO_LARGE}, "seconds must be a number"),
    ({"history": {"eval/exact_success": [[100, TOO_LARGE]]}}, "history must map names to lists of [step, value]"),
])
def test_a_damaged_result_json_is_named_and_refused(tmp_path, capsys, change, message):
    folder = stored_sweep(tmp_path)
    path = next((folder / "runs").glob("*/result.json"))
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}).replace(str(TOO_LARGE), "1e400"))
    with pytest.raises(ValueError, match=re.escape(f"{path}: {message}")):
        load_sweep(folder)
    with pytest.raises(SystemExit) as stopped:
        rl_main(["sweep-report", str(folder)])
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_a_result_json_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    folder = stored_sweep(tmp_path)
    path = next((folder / "runs").glob("*/result.json"))
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(ValueError, match="it is not a regular file"):
        load_sweep(folder)


def test_a_sweep_whose_out_is_a_file_stops_before_ray_starts(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("mine\n")
    with pytest.raises(SystemExit) as stopped:
        rl_main(["sweep", "--out", str(out), "--set", "total_steps=300"])
    assert stopped.value.code == 2
    assert f"cannot store the sweep in {out}: {out} is a file, not a folder" in capsys.readouterr().err
    assert out.read_text() == "mine\n"
    assert "ray" not in sys.modules or not sys.modules["ray"].is_initialized()


def test_a_huge_seed_range_is_refused_at_once(capsys):
    with pytest.raises(SystemExit) as stopped:
        rl_main(["sweep", "--out", "unused", "--seeds", "0-1000000000000"])
    assert stopped.value.code == 2
    assert "name more than 100,000 seeds" in capsys.readouterr().err


@pytest.mark.parametrize(("arguments", "message"), [
    (["--env-kwargs", "[" * 100_000], "argument --env-kwargs: JSON nested too deeply to read: '[[[["),
    (["--grid", "env_kwargs=" + "[" * 100_000], "bad value '[[[["),
    (["--set", "env_kwargs=" + "{\"a\":" * 100_000], "JSON nested too deeply to read"),
    (["--threshold", "nan"], "argument --threshold: expected a finite number, got 'nan'"),
    (["--metric", "eval/bogus"], "metric must be one of eval/exact_success, eval/exact_return, eval/mean_return"),
])
def test_bad_sweep_arguments_are_one_line_before_anything_runs(tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit) as stopped:
        rl_main(["sweep", "--out", str(tmp_path / "sweep"), "--set", "total_steps=300", *arguments])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and message in error and len(error) < 600
    assert not (tmp_path / "sweep").exists()


# ---------------------------------------------------------------------------------------------
# small holes of the command lines


def test_a_save_into_a_missing_folder_names_the_target_not_a_temporary_file(tmp_path):
    target = tmp_path / "no such folder" / "graph.svg"
    with pytest.raises(FileNotFoundError) as refused:
        atomic_write(target, "<svg/>")
    assert refused.value.filename == str(target)
    assert str(refused.value) == f"[Errno 2] No such file or directory: {str(target)!r}"


def test_rl_eval_takes_a_run_folder_and_the_current_folder(tmp_path, monkeypatch, capsys):
    nn.save(nn.MLP(4, [8, 2], rng=0), tmp_path / "q_network.json")
    config = rl.QLearningConfig(env_id="rl/Chain-v0", env_kwargs={"n": 4}, max_episode_steps=7)
    (tmp_path / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    assert rl_main(["eval", str(tmp_path), "--episodes", "2"]) == 0
    assert "rl/Chain-v0" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)  # "." has an empty name: it was a ValueError traceback
    assert rl_main(["eval", "."]) == 2
    assert capsys.readouterr().err == "python3 -m rl eval: no config.json beside q_network.json: pass --env\n"
