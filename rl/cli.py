"""``python3 -m rl``: train a Q-network and summarize it; ``python3 -m rl eval MODEL``: evaluate a saved one.

``python3 -m rl sweep`` and ``python3 -m rl sweep-report DIR``: see `rl.sweeps.command`.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import inspect
import json
import math
import re
import signal
import sys
import threading
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gymnasium

import nn
from autodiff.files import unwritable_reason
from rl.arguments import json_object, positive_int
from rl.compiled import CompiledQ
from rl.config import QLearningConfig
from rl.environments import ObservationEncoder, check_registered, make_env
from rl.evaluation import evaluate
from rl.report import compare_with_optimum
from rl.run_folder import CONFIG_FILE, CURVE_FILE, MODEL_FILE, read_config, save_run
from rl.success import SUCCESS_RULES
from rl.sweeps.command import report_main, sweep_main
from rl.training import TrainResult, train
from rl.tuned import TUNED_SETTINGS

__all__ = ["INTERRUPTED", "field_docstrings", "main", "parse_train_arguments"]

_DEFAULTS = dataclasses.asdict(QLearningConfig())
_FLAG_NAMES = {"env_id": "--env", "total_steps": "--steps"}
"""Short flags for the fields users set most; the others are the field name with dashes."""


INTERRUPTED = 130
"""The exit status after Ctrl-C, as a shell gives it (128 + SIGINT)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Ctrl-C stops it with one line and status `INTERRUPTED`: during training nothing is written (an
    earlier run in the folder stays as it was); once training is over, the run's files are all
    written before it stops.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["eval"]:
            return _evaluate_command(_eval_parser().parse_args(args[1:]))
        if args[:1] == ["sweep"]:
            return sweep_main(args[1:])
        if args[:1] == ["sweep-report"]:
            return report_main(args[1:])
        return _train_command(parse_train_arguments(args))
    except KeyboardInterrupt:
        print("\npython3 -m rl: interrupted (Ctrl-C)", file=sys.stderr)
        return INTERRUPTED


def parse_train_arguments(args: Sequence[str]) -> argparse.Namespace:
    """The training command line `args` parsed, its defaults those of the ``--env`` it names (`rl.TUNED_SETTINGS`).

    Flags override the tuned settings; ``--help`` prints them and exits, as argparse does.
    """
    return _train_parser(_env_named_in(args)).parse_args(args)


def _env_named_in(args: Sequence[str]) -> str:
    """The ``--env`` of a training command line, read first since it picks the defaults of the others."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--env", dest="env_id", default=_DEFAULTS["env_id"])
    env_id: str = parser.parse_known_args(args)[0].env_id
    return env_id


def _train_parser(env_id: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m rl",
        description=(
            "Train a Q-network (an nn.MLP of scalar Values) by semi-gradient Q-learning with a replay "
            "buffer, then compare its greedy policy with the optimum and save it. The defaults learn "
            "FrozenLake-v1 4x4 without slipping in well under a minute; an env listed in "
            f"rl.TUNED_SETTINGS ({', '.join(TUNED_SETTINGS)}) starts from its tuned settings, which flags override."
        ),
        epilog="Evaluate a saved Q-network with: python3 -m rl eval MODEL (see python3 -m rl eval --help).",
    )
    docs = field_docstrings(QLearningConfig)
    hints = typing.get_type_hints(QLearningConfig)
    for field in dataclasses.fields(QLearningConfig):
        flag = _FLAG_NAMES.get(field.name, "--" + field.name.replace("_", "-"))
        default = {**_DEFAULTS, **TUNED_SETTINGS.get(env_id, {})}[field.name]
        if field.name == "env_kwargs":
            shown, default = f"{json.dumps(default)} with the default env, {{}} with another", None
        else:
            shown = _shown(default)
        text = f"{docs[field.name]} (default: {shown})".replace("%", "%%")  # argparse formats help with %
        parser.add_argument(flag, dest=field.name, default=default, help=text, **_argument_type(hints[field.name]))
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the Q-network, config, history and learning curve "
                             "(default: runs/ENV-seedSEED)")
    parser.add_argument("--final-episodes", type=positive_int, default=100, metavar="N",
                        help="episodes of the greedy evaluation at the end (default: 100)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _eval_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m rl eval",
        description=(
            "Evaluate the greedy policy of a Q-network saved by python3 -m rl. The environment, its "
            "env_kwargs and time limit are read from the config.json saved beside MODEL unless given here; "
            "with --env naming another environment, the saved env_kwargs and time limit are not used."
        ),
    )
    parser.add_argument("model", type=Path, help="the saved Q-network (q_network.json), or the run folder holding it")
    parser.add_argument("--env", dest="env_id", default=None, help="Gymnasium id of the environment")
    parser.add_argument("--env-kwargs", type=json_object, default=None,
                        help='keyword arguments for gymnasium.make, as JSON: \'{"is_slippery": false}\'')
    parser.add_argument("--max-episode-steps", type=_optional_int, default=None, help="time limit of an episode")
    parser.add_argument("--episodes", type=positive_int, default=100, metavar="N",
                        help="episodes to play (default: 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode's reset (default: 0)")
    parser.add_argument("--success", choices=list(SUCCESS_RULES), default=None,
                        help="what counts as a success: " + "; ".join(f"{k}: {v}" for k, v in SUCCESS_RULES.items()))
    return parser


def _train_command(args: argparse.Namespace) -> int:
    settings = {field.name: getattr(args, field.name) for field in dataclasses.fields(QLearningConfig)}
    if settings["env_kwargs"] is None:  # the default keyword arguments belong to the default environment
        settings["env_kwargs"] = _DEFAULTS["env_kwargs"] if args.env_id == _DEFAULTS["env_id"] else {}
    try:
        config = QLearningConfig(**settings)
    except ValueError as error:
        print(f"python3 -m rl: {error}", file=sys.stderr)
        return 2
    out = args.out or Path("runs") / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', config.env_id)}-seed{config.seed}"
    problem = unwritable_reason(out)
    if problem:  # found now, not after minutes of training
        print(f"python3 -m rl: cannot save the run in --out {out}: {problem}", file=sys.stderr)
        return 2
    try:  # one environment to train on, one for every greedy evaluation (during training and at the end)
        env = make_env(config.env_id, max_episode_steps=config.max_episode_steps, env_kwargs=config.env_kwargs)
        eval_env = make_env(config.env_id, max_episode_steps=config.max_episode_steps, env_kwargs=config.env_kwargs)
    except ValueError as error:
        print(f"python3 -m rl: {error}", file=sys.stderr)
        return 2
    try:
        result = train(config, env, eval_env=eval_env, progress=not args.no_progress)
    except KeyboardInterrupt:
        print(f"\npython3 -m rl: interrupted (Ctrl-C) during training; nothing was saved in {out}", file=sys.stderr)
        return INTERRUPTED
    diverged = not all(math.isfinite(weight) for weight in result.q_network.state_dict().values())
    with _interrupts_deferred() as interrupted:
        try:
            save_run(out, config, result.history, None if diverged else result.q_network)
        except OSError as error:
            print(f"python3 -m rl: cannot save the run in {out}: {error}", file=sys.stderr)
            return 1
    if interrupted:
        print(f"\npython3 -m rl: interrupted (Ctrl-C) after training; the run was saved whole in {out}",
              file=sys.stderr)
        return INTERRUPTED
    if diverged:
        print(f"python3 -m rl: the run diverged, so no model was saved (its weights are not finite); its history "
              f"(NaN as null) and learning curve are in {out} (try a smaller --learning-rate or --loss mean)",
              file=sys.stderr)
        return 1
    try:
        _report_run(config, result, eval_env, args.final_episodes, out)
    except KeyboardInterrupt:
        print(f"\npython3 -m rl: interrupted (Ctrl-C) during the final evaluation; the run is saved in {out}",
              file=sys.stderr)
        return INTERRUPTED
    return 0


def _report_run(config: QLearningConfig, result: TrainResult, eval_env: gymnasium.Env[Any, Any], episodes: int,
                out: Path) -> None:
    """Print the greedy policy's evaluation, its comparison with the optimum, and where the run is saved."""
    model_path = out / MODEL_FILE
    player = CompiledQ(result.q_network) if config.compiled else result.q_network
    final = evaluate(player, eval_env, episodes, seed=config.seed, success=config.success)
    print(f"\n{config.env_id} {json.dumps(config.env_kwargs)}, seed {config.seed}: {config.total_steps} steps, "
          f"{result.episodes} episodes in {result.seconds:.1f} s")
    if config.env_id in TUNED_SETTINGS:
        print(f"(tuned settings for {config.env_id}: rl.TUNED_SETTINGS, overridden by the flags given)")
    if config.keep_best:
        print(f"kept the network of the best greedy evaluation, at step {result.kept_step}")
    print(f"greedy policy: {final}")
    print(compare_with_optimum(player, eval_env, config.discount, config.success))
    print(f"learning curve: {out / CURVE_FILE} and .png")
    print(f"Q-network saved to {model_path}; evaluate it with: python3 -m rl eval {model_path}")


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[list[int]]:
    """Hold Ctrl-C back while the run's files are written: the list says whether it came."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():  # only the main thread handles signals
        yield received
        return
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


def _evaluate_command(args: argparse.Namespace) -> int:
    if args.model.is_dir():  # a run folder (".", whose name is empty, too): its model
        args.model = args.model / MODEL_FILE
    config_path = args.model.with_name(CONFIG_FILE)
    saved: QLearningConfig | None = None
    if config_path.exists():
        try:
            saved = read_config(config_path)
        except (OSError, ValueError) as error:
            print(f"python3 -m rl eval: {error}", file=sys.stderr)
            return 2
    if args.env_id is None and saved is None:
        print(f"python3 -m rl eval: no {CONFIG_FILE} beside {args.model}: pass --env", file=sys.stderr)
        return 2
    if args.env_id is None:
        assert saved is not None
        try:  # an id from a file must not import a module: only ids already registered
            env_id = check_registered(saved.env_id, f"{config_path}")
        except ValueError as error:
            print(f"python3 -m rl eval: {error}", file=sys.stderr)
            return 2
    else:
        env_id = args.env_id
    # the saved env_kwargs and time limit belong to the saved env: kept for it, not for another one
    same_env = saved is not None and env_id == saved.env_id
    env_kwargs = args.env_kwargs if args.env_kwargs is not None else (saved.env_kwargs if saved and same_env else {})
    steps = args.max_episode_steps if args.max_episode_steps is not None else (
        saved.max_episode_steps if saved and same_env else None)
    if saved is not None and not same_env and args.env_kwargs is None:
        print(f"note: --env {env_id} is not the saved env {saved.env_id}, whose env_kwargs "
              f"{json.dumps(saved.env_kwargs)} and time limit are not used: {env_id} gets env_kwargs "
              f"{json.dumps(env_kwargs)} (set them with --env-kwargs)")
    settings = saved or QLearningConfig()  # a run without a config file: QLearningConfig's defaults
    success = args.success or settings.success
    try:
        q = nn.load(args.model)
    except (OSError, ValueError) as error:
        print(f"python3 -m rl eval: cannot load {args.model}: {error}", file=sys.stderr)
        return 2
    if not isinstance(q, nn.MLP):
        print(f"python3 -m rl eval: {args.model} holds a {type(q).__name__}, not an MLP Q-network", file=sys.stderr)
        return 2
    try:
        env = make_env(env_id, max_episode_steps=steps, env_kwargs=env_kwargs)
    except ValueError as error:
        print(f"python3 -m rl eval: {error}", file=sys.stderr)
        return 2
    n_inputs, n_actions = ObservationEncoder(env.observation_space).size, int(env.action_space.n)  # type: ignore[attr-defined]
    if (q.nin, q.nouts[-1]) != (n_inputs, n_actions):
        print(f"python3 -m rl eval: {q} does not fit {env_id}, which needs {n_inputs} inputs and {n_actions} outputs",
              file=sys.stderr)
        return 2
    player = CompiledQ(q) if settings.compiled else q
    result = evaluate(player, env, args.episodes, seed=args.seed, success=success)
    print(f"{env_id} {json.dumps(env_kwargs)}: greedy policy of {q}: {result}")
    print(compare_with_optimum(player, env, settings.discount, success))
    return 0


def field_docstrings(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass, read from its source with `ast` (as tyro does), as plain text.

    Whitespace runs become one space and code marks (backticks) go, as ``python3 -m rl --help`` shows them.
    """
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for statement, following in zip(body, body[1:], strict=False):
        if (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)):
            text = " ".join(str(following.value.value).split())
            docs[statement.target.id] = re.sub(r"`+([^`]+)`+", r"\1", text)  # code marks read as noise in a terminal
    return docs


def _argument_type(hint: Any) -> dict[str, Any]:
    """argparse settings that parse a field of type `hint`."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        return {"action": argparse.BooleanOptionalAction}
    if origin is typing.Literal:
        return {"choices": list(arguments), "metavar": "{" + ",".join(arguments) + "}"}
    if origin is tuple:
        return {"type": int, "nargs": "*", "metavar": "N"}
    if origin is dict:
        return {"type": json_object, "metavar": "JSON"}
    if type(None) in arguments:
        return {"type": _optional_int, "metavar": "N|none"}
    parse: Callable[[str], Any] = hint
    return {"type": parse, "metavar": {int: "N", float: "X", str: "TEXT"}.get(hint, None)}


def _shown(default: object) -> str:
    if isinstance(default, tuple):
        return " ".join(map(str, default))
    return "none" if default is None else str(default)


def _optional_int(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)
