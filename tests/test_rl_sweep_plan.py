"""The sweep's plan and command line without Ray: parsing, refusals before anything runs, the report of stored runs."""

import json
import sys

import pytest

import nn
import rl
from rl.cli import main
from rl.sweeps import RunRecord, load_sweep, parse_grid_entry, parse_seeds, plan_runs, run_one, summarize, write_report
from rl.sweeps.store import planned_runs, read_plan, store_run, write_plan

BASE = rl.QLearningConfig(total_steps=300, eval_period=100, eval_episodes=1)


def test_grid_values_are_parsed_by_the_type_of_their_field():
    assert parse_grid_entry("loss=sum,mean") == ("loss", ["sum", "mean"])
    assert parse_grid_entry("target_sync_period=none,100") == ("target_sync_period", [None, 100])
    assert parse_grid_entry("learning_rate=1e-3,0.01") == ("learning_rate", [1e-3, 0.01])
    assert parse_grid_entry("anneal_lr=true,False") == ("anneal_lr", [True, False])
    assert parse_grid_entry("hidden_sizes=32,[64,64]") == ("hidden_sizes", [(32,), (64, 64)])
    assert parse_grid_entry('env_kwargs={"is_slippery":true,"map_name":"4x4"},{}') == (
        "env_kwargs", [{"is_slippery": True, "map_name": "4x4"}, {}])


@pytest.mark.parametrize(("entry", "message"), [
    ("bogus=1,2", "unknown grid field 'bogus'"),
    ("loss=sum,cube", "bad value 'cube' for loss"),
    ("total_steps=10,ten", "bad value 'ten' for total_steps"),
    ("learning_rate=nan", "bad value 'nan' for learning_rate"),
    ("loss=", "grid field 'loss' has no values"),
    ("", "a grid entry is FIELD=VALUE"),
    ("seed=1,2", "seeds are given apart"),
    ("hidden_sizes=[32,x]", "bad value"),
])
def test_bad_grid_entries_name_the_problem(entry, message):
    with pytest.raises(ValueError, match=message):
        parse_grid_entry(entry)


def test_seeds():
    assert parse_seeds("1-3") == [1, 2, 3]
    assert parse_seeds("1,3,5") == [1, 3, 5]
    assert parse_seeds("1-2,11-12") == [1, 2, 11, 12]
    for bad in ["3-1", "a", "1,1", "-2"]:
        with pytest.raises(ValueError, match="seed"):
            parse_seeds(bad)


def test_plan_is_every_setting_on_every_seed():
    runs = plan_runs(BASE, {"loss": ["sum", "mean"], "optimizer": ["sgd", "adam"]}, [1, 2])
    assert [(r.setting, r.seed) for r in runs][:3] == [
        ({"loss": "sum", "optimizer": "sgd"}, 1), ({"loss": "sum", "optimizer": "sgd"}, 2),
        ({"loss": "sum", "optimizer": "adam"}, 1)]
    assert len(runs) == 8
    assert len({r.key for r in runs}) == 8
    assert runs[3].config.loss == "sum" and runs[3].config.optimizer == "adam" and runs[3].config.seed == 2


@pytest.mark.parametrize(("grid", "seeds", "message"), [
    ({"loss": []}, [1], "non-empty list"),
    ({"nope": [1]}, [1], "unknown grid field 'nope'"),
    ({"learning_rate": [-1.0]}, [1], "setting learning_rate=-1.0: invalid QLearningConfig: learning_rate"),
    ({"loss": ["sum", "sum"]}, [1], "repeats a value"),
    ({}, [], "no seeds"),
    ({}, [1, 1], "distinct"),
])
def test_bad_plans_are_refused_before_anything_runs(grid, seeds, message):
    with pytest.raises(ValueError, match=message):
        plan_runs(BASE, grid, seeds)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--grid", "bogus=1,2"], "unknown grid field 'bogus'"),
    (["--grid", "loss=sum,cube"], "bad value 'cube' for loss"),
    (["--grid", "loss="], "has no values"),
    (["--grid", "loss=sum", "--grid", "loss=mean"], "given twice"),
    (["--set", "bogus=1"], "unknown field 'bogus'"),
    (["--seeds", "5-1"], "bad seeds"),
    (["--env", "NoSuchEnv-v0"], "NoSuchEnv"),
    (["--address", "127.0.0.1:1"], "cannot reach a Ray cluster at 127.0.0.1:1"),
    (["--address", "nohostport"], "bad Ray address"),
])
def test_command_line_bad_input_exits_2_with_one_line(arguments, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["sweep", "--out", str(tmp_path / "sweep"), "--no-progress", *arguments])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    assert message in captured.err
    assert not (tmp_path / "sweep" / "runs").exists()


def test_without_ray_the_command_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(SystemExit) as stopped:
        main(["sweep", "--out", str(tmp_path / "sweep"), "--grid", "loss=sum,mean"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert "'sweep' extra: pip install 'scalar-autodiff[sweep]'" in error


def _record(run, score, status="ok", error=None, curve=(0.0, 0.5), code="c1"):
    history = {"eval/exact_success": [[100, curve[0]], [200, curve[1]]], "losses/td_loss": [[150, 0.1]]}
    final = {"eval/exact_success": score, "eval/mean_return": score} if status != "failed" else {}
    return RunRecord(key=run.key, setting=run.setting, seed=run.seed, config=json.loads(json.dumps(
        {**rl.sweeps.store.dataclasses.asdict(run.config)})), status=status, error=error, final=final,
        history=history if status != "failed" else {}, seconds=2.0, node="n1", session="s1", code=code)


def _stored_sweep(folder, scores_by_loss):
    grid = {"loss": ["sum", "mean"]}
    plan = {"base": rl.sweeps.store.dataclasses.asdict(BASE), "grid": grid, "seeds": [1, 2, 3, 4],
            "metric": None, "threshold": 0.7, "sessions": [{"session": "s1", "seconds": 12.5, "ran": 8,
                                                            "workers": 2, "address": None, "interrupted": False}]}
    write_plan(folder, plan)
    runs = planned_runs(read_plan(folder))
    for run in runs:
        score = scores_by_loss[run.setting["loss"]][run.seed - 1]
        if score is None:
            store_run(folder, _record(run, 0.0, "failed", "RuntimeError: broken"), None)
        else:
            store_run(folder, _record(run, score), None)
    return runs


def test_report_of_stored_runs(tmp_path):
    folder = tmp_path / "sweep"
    _stored_sweep(folder, {"sum": [0.74, 0.70, 0.0, 0.65], "mean": [0.74, 0.74, 0.72, None]})
    metric, summaries = summarize(folder)
    assert metric == "eval/exact_success"
    by_loss = {s.setting["loss"]: s for s in summaries}
    # IQM of 4 scores is the mean of the middle two: (0.65 + 0.70) / 2; of 3 scores (a quarter of 3
    # rounds down to 0 cut) the mean of all three
    assert by_loss["sum"].iqm.estimate == pytest.approx((0.65 + 0.70) / 2)
    assert by_loss["mean"].iqm.estimate == pytest.approx((0.74 + 0.74 + 0.72) / 3)
    assert by_loss["mean"].failed == 1 and by_loss["mean"].seeds == [1, 2, 3]
    # value iteration's optimum of FrozenLake 4x4 without slipping: always reaches the goal
    assert by_loss["sum"].optimum == pytest.approx(1.0)
    assert by_loss["sum"].gap.estimate == pytest.approx(1 - (0.74 + 0.70 + 0.0 + 0.65) / 4)
    assert by_loss["sum"].curve_steps == [100, 200]

    report = write_report(folder)
    text = report.read_text()
    assert "| loss=mean **(best)** | 3, 1 failed |" in text
    assert "| 2 of 4 |" in text and "| 3 of 3 |" in text  # runs >= the threshold 0.7 (0.70 counts)
    assert "loss=mean, seed 4: failed: RuntimeError: broken" in text
    assert "13 s wall clock" in text or "12 s wall clock" in text
    for name in ["learning_curves", "final_iqm"]:
        assert (folder / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (folder / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
        assert f"figures/{name}.svg" in text
    figures = {path.name: path.read_bytes() for path in (folder / "figures").iterdir()}
    write_report(folder)
    assert {path.name: path.read_bytes() for path in (folder / "figures").iterdir()} == figures  # byte for byte


def test_the_report_says_when_runs_mix_code_versions(tmp_path):
    folder = tmp_path / "sweep"
    runs = _stored_sweep(folder, {"sum": [0.1, 0.2, 0.3, 0.4], "mean": [0.5, 0.6, 0.7, 0.8]})
    assert "versions of the code" not in write_report(folder).read_text()
    store_run(folder, _record(runs[0], 0.1, code="c2"), None)
    assert "made by 2 versions of the code (fingerprints c1, c2)" in write_report(folder).read_text()


def test_load_sweep_gives_one_row_per_run(tmp_path):
    folder = tmp_path / "sweep"
    _stored_sweep(folder, {"sum": [0.1, 0.2, 0.3, 0.4], "mean": [0.5, 0.6, 0.7, None]})
    rows = load_sweep(folder)
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    assert len(records) == 8
    assert [(r["loss"], r["seed"], r["status"]) for r in records][-2:] == [("mean", 3, "ok"), ("mean", 4, "failed")]
    assert records[0]["eval/exact_success"] == 0.1


def test_report_command(tmp_path, capsys):
    folder = tmp_path / "sweep"
    _stored_sweep(folder, {"sum": [0.1, 0.2, 0.3, 0.4], "mean": [0.5, 0.6, 0.7, 0.8]})
    assert main(["sweep-report", str(folder), "--metric", "eval/mean_return"]) == 0
    assert "report.md" in capsys.readouterr().out
    assert "`eval/mean_return`" in (folder / "report.md").read_text()
    with pytest.raises(SystemExit) as stopped:
        main(["sweep-report", str(tmp_path)])
    assert stopped.value.code == 2
    assert "has no sweep.json" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sweep-report", str(folder), "--metric", "eval/nothing"])
    assert "metric 'eval/nothing'" in capsys.readouterr().err


@pytest.mark.parametrize("damage", [
    lambda d: "not json",
    lambda d: json.dumps({**d, "status": "great"}),
    lambda d: json.dumps({**d, "history": {"x": [[1, "a"]]}}),
    lambda d: json.dumps({**d, "key": "elsewhere"}),
    lambda d: json.dumps({k: v for k, v in d.items() if k != "final"}),
])
def test_malformed_run_files_are_named(tmp_path, damage):
    folder = tmp_path / "sweep"
    runs = _stored_sweep(folder, {"sum": [0.1, 0.2, 0.3, 0.4], "mean": [0.5, 0.6, 0.7, 0.8]})
    path = folder / "runs" / runs[0].key / "result.json"
    path.write_text(damage(json.loads(path.read_text())))
    with pytest.raises(ValueError, match=str(path)):
        load_sweep(folder)


def test_a_stored_network_loads(tmp_path):
    run = plan_runs(BASE, {}, [1])[0]
    network = nn.MLP(16, [4, 4], rng=1)
    store_run(tmp_path, _record(run, 0.5), {"nin": 16, "nouts": [4, 4], "activation": "relu", "init": network.init,
                                             "parameters": network.state_dict()})
    loaded = nn.load(tmp_path / "runs" / run.key / "q_network.json")
    assert loaded.state_dict() == network.state_dict()


def test_run_one_outside_ray_is_the_same_run_as_train():
    config = rl.QLearningConfig(total_steps=300, learning_starts=100, eval_period=150, eval_episodes=1)
    outcome = run_one(json.loads(json.dumps(rl.sweeps.store.dataclasses.asdict(config))), 3)
    assert outcome["status"] == "ok" and outcome["node"] == "local"
    assert outcome["history"] == rl.train(config).history.metrics
    assert set(outcome["final"]) == {"eval/mean_return", "eval/success_rate", "eval/exact_return", "eval/exact_success"}
