"""``python3 -m rl`` on hostile or unlucky input, run as a user would: in a subprocess.

A model folder never runs code, bad input is one line and exit status 2, Ctrl-C is one line and
exit status 130, and the run folder never mixes two runs.
"""

# ruff: noqa: E501 - one hostile input and its expected message per line

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nn
import rl
from rl.run_folder import RUN_FILES

ROOT = Path(__file__).resolve().parents[1]
SMALL_RUN = ["--env", "rl/Chain-v0", "--env-kwargs", "{}", "--hidden-sizes", "8", "--learning-starts", "50",
             "--eval-period", "none", "--eval-episodes", "1", "--final-episodes", "1", "--no-progress"]


def run_rl(*arguments, cwd, timeout=120):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "rl", *arguments], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def one_line_error(done, status=2):
    """The single line a refused command prints, after checking it is all the command printed."""
    assert done.returncode == status, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def saved_model(folder, **config_fields):
    """A chain Q-network saved as python3 -m rl saves it, and its config.json with `config_fields` changed."""
    folder.mkdir(exist_ok=True)
    nn.save(nn.MLP(4, [8, 2], rng=0), folder / "q_network.json")
    config = dataclasses.asdict(rl.QLearningConfig(env_id="rl/Chain-v0", env_kwargs={"n": 4}, max_episode_steps=7))
    (folder / "config.json").write_text(json.dumps({**config, **config_fields}))
    return folder / "q_network.json"


MARKER_MODULE = "from pathlib import Path\nPath('imported.marker').write_text('ran')\n"


def test_eval_never_imports_a_module_named_by_config_json(tmp_path):
    (tmp_path / "evilmod.py").write_text(MARKER_MODULE)
    model = saved_model(tmp_path / "run", env_id="evilmod:FrozenLake-v1", env_kwargs={})
    message = one_line_error(run_rl("eval", str(model), cwd=tmp_path))
    assert "'evilmod:FrozenLake-v1', which is not an id in Gymnasium's registry" in message
    assert "config.json" in message and "--env" in message
    assert not (tmp_path / "imported.marker").exists()


def test_eval_refuses_an_unregistered_id_from_config_json_even_without_a_module(tmp_path):
    model = saved_model(tmp_path / "run", env_id="NoSuchEnv-v0", env_kwargs={})
    assert "'NoSuchEnv-v0', which is not an id in Gymnasium's registry" in one_line_error(
        run_rl("eval", str(model), cwd=tmp_path))


def test_a_module_id_the_user_types_keeps_gymnasiums_import(tmp_path):
    (tmp_path / "mychain.py").write_text(
        MARKER_MODULE + "import gymnasium\ngymnasium.register('MyChain-v0', entry_point='rl.chain:ChainEnv', "
                        "kwargs={'n': 4}, max_episode_steps=7)\n")
    model = saved_model(tmp_path / "run", env_id="mychain:MyChain-v0", env_kwargs={})
    done = run_rl("eval", str(model), "--env", "mychain:MyChain-v0", "--episodes", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "imported.marker").read_text() == "ran"
    assert "mychain:MyChain-v0 {}: greedy policy of MLP(4 → 8 → 2" in done.stdout


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"env_id": "rl/Chain-v0", ', "invalid JSON"),
        (b"[1, 2]", "must be a JSON object, got list"),
        (b'{"env_id": "rl/Chain-\xff"}', "not UTF-8 text"),
        (b'{"env_id": 5}', "env_id must be a non-empty Gymnasium id, got 5"),
        (b'{"success": "treasure"}', "success must be one of goal, end, survival, got 'treasure'"),
        (b'{"success": ["goal"]}', "success must be one of"),
        (b'{"discount": "0.9"}', "discount must be a number in [0.0, 1.0], got '0.9'"),
        (b'{"discount": NaN}', "NaN is not a number JSON allows"),
        (b'{"learning_rate": 1' + b"0" * 400 + b"}", "learning_rate must be a number > 0"),
        (b'{"env_kwargs": 5}', "env_kwargs must be a mapping"),
        (b'{"env_id": "rl/Chain-v0", "env_kwargs": {"n": "many"}}', "cannot make 'rl/Chain-v0' with env_kwargs {'n': 'many'}"),
        (b'{"hidden_sizes": [8], "hidden_sizes": [9]}', "the key 'hidden_sizes' appears more than once"),
        (b'{"learning-rate": 0.1}', "'learning-rate' is not a field of QLearningConfig"),
        (b'{"env_id": "' + b"x" * 5000 + b'"}', "which is not an id in Gymnasium's registry"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=["truncated", "list", "not UTF-8", "env_id 5", "unknown success", "unhashable success", "discount string",
         "NaN", "huge int", "env_kwargs 5", "bad env_kwargs", "repeated key", "unknown field", "huge id", "deep"],
)
def test_eval_refuses_a_bad_config_json_in_one_line_naming_the_file_and_the_field(tmp_path, content, field):
    model = saved_model(tmp_path / "run")
    (tmp_path / "run" / "config.json").write_bytes(content)
    message = one_line_error(run_rl("eval", str(model), "--episodes", "1", cwd=tmp_path))
    assert field in message
    assert "config.json" in message or "cannot make" in message
    assert len(message) < 600


def test_eval_takes_the_config_defaults_for_missing_fields(tmp_path):
    """One source of defaults: a config.json without a discount gets QLearningConfig's 0.9."""
    model = saved_model(tmp_path / "run")
    (tmp_path / "run" / "config.json").write_text('{"env_id": "rl/Chain-v0", "env_kwargs": {"n": 4}}')
    done = run_rl("eval", str(model), "--episodes", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"α={rl.QLearningConfig().discount:g}" in done.stdout


@pytest.mark.parametrize("where", ["an existing file", "a folder under a file"])
def test_an_unusable_out_is_refused_before_training(tmp_path, where):
    blocker = tmp_path / "taken"
    blocker.write_text("keep me")
    out = blocker if where == "an existing file" else blocker / "run"
    # a billion steps: had it started training, the subprocess would time out
    message = one_line_error(run_rl(*SMALL_RUN, "--steps", "1000000000", "--out", str(out), cwd=tmp_path, timeout=60))
    assert message.startswith(f"python3 -m rl: cannot save the run in --out {out}: {blocker} is a file, not a folder")
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--env", "nosuchmod:Foo-v0"], "cannot make 'nosuchmod:Foo-v0' with env_kwargs {}: ModuleNotFoundError"),
        (["--env-kwargs", '{"map_name": "99x99"}'], "cannot make 'FrozenLake-v1' with env_kwargs {'map_name': '99x99'}"),
        (["--env", "NoSuchEnv-v0"], "cannot make the Gymnasium environment 'NoSuchEnv-v0'"),
        (["--env", "Pendulum-v1"], "Q-learning needs a Discrete action space"),
    ],
)
def test_every_failure_to_make_the_environment_is_one_line(tmp_path, flags, expected):
    message = one_line_error(run_rl(*flags, "--steps", "1000000000", "--out", str(tmp_path / "run"), cwd=tmp_path,
                                    timeout=60))
    assert expected in message
    assert not (tmp_path / "run").exists()


def strict_json(text):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_a_diverged_run_writes_valid_json_and_leaves_no_older_model(tmp_path):
    out = tmp_path / "run"
    saved_model(out)  # an older run's model and config in the same folder
    done = run_rl(*SMALL_RUN, "--steps", "300", "--loss", "sum", "--optimizer", "sgd", "--learning-rate", "50",
                  "--out", str(out), cwd=tmp_path)
    assert "the run diverged, so no model was saved" in one_line_error(done, status=1)
    history = strict_json((out / "history.json").read_text())
    losses = [value for _, value in history["losses/td_loss"]]
    assert None in losses and all(value is None or isinstance(value, float) for value in losses)
    assert strict_json((out / "config.json").read_text())["learning_rate"] == 50
    assert not (out / "q_network.json").exists()
    # and rl eval cannot pick up a stale network for the new config
    assert "cannot load" in one_line_error(run_rl("eval", str(out / "q_network.json"), cwd=tmp_path))


def test_a_new_run_replaces_every_file_of_an_older_one(tmp_path):
    out = tmp_path / "run"
    saved_model(out)
    done = run_rl(*SMALL_RUN, "--steps", "100", "--seed", "7", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in out.iterdir()) == sorted(RUN_FILES)
    assert strict_json((out / "config.json").read_text())["seed"] == 7
    assert nn.load(out / "q_network.json").nin == 6  # the chain of the new run has 6 states


def test_ctrl_c_during_training_is_one_line_exit_130_and_leaves_the_older_run(tmp_path):
    out = tmp_path / "run"
    saved_model(out)
    before = {name: (out / name).read_bytes() for name in ("config.json", "q_network.json")}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    arguments = [a for a in SMALL_RUN if a != "--no-progress"]
    process = subprocess.Popen([sys.executable, "-m", "rl", *arguments, "--steps", "1000000000", "--out", str(out)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        progress = ""
        deadline = time.monotonic() + 60
        while "step" not in progress and time.monotonic() < deadline:  # the progress bar: training has begun
            progress += process.stderr.read(1)
        assert "step" in progress
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == f"python3 -m rl: interrupted (Ctrl-C) during training; nothing was saved in {out}"
    assert {name: (out / name).read_bytes() for name in before} == before
    assert sorted(path.name for path in out.iterdir()) == ["config.json", "q_network.json"]


def test_ctrl_c_while_the_run_is_saved_finishes_the_files_first(tmp_path, monkeypatch, capsys):
    import rl.cli
    import rl.run_folder

    real_atomic_write = rl.run_folder.atomic_write

    def interrupted_write(path, data):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of saving
        return real_atomic_write(path, data)

    monkeypatch.setattr(rl.run_folder, "atomic_write", interrupted_write)
    out = tmp_path / "run"
    assert rl.cli.main([*SMALL_RUN, "--steps", "100", "--out", str(out)]) == rl.cli.INTERRUPTED
    assert capsys.readouterr().err.strip() == (
        f"python3 -m rl: interrupted (Ctrl-C) after training; the run was saved whole in {out}")
    assert sorted(path.name for path in out.iterdir()) == sorted(RUN_FILES)
    assert nn.load(out / "q_network.json").nin == 6
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_env_kwargs_nested_too_deeply_is_a_usage_error(tmp_path):
    done = run_rl("--env-kwargs", "[" * 50_000 + "]" * 50_000, "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "argument --env-kwargs: JSON nested too deeply to read" in done.stderr
    assert len(done.stderr) < 2000
