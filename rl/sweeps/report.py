"""The report of a sweep: a Markdown table of every setting's scores over seeds, and matplotlib figures.

Per setting: the interquartile mean (IQM) of the final score with its 95% stratified-bootstrap
interval, the mean and median, the runs at or above a threshold, the optimality gap to value
iteration where the environment exposes its model, and the probability that the best setting
improves on it (`rl.statistics`). Figures: the mean learning curve of each setting with its 95%
bootstrap band, and the final IQMs with their intervals, each as SVG and PNG.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autodiff.extras import needs_extra
from autodiff.files import atomic_write
from rl.config import QLearningConfig
from rl.environments import check_registered, make_env
from rl.exact import evaluate_policy, value_iteration
from rl.statistics import (
    Interval,
    curve_bands,
    iqm_interval,
    optimality_gap_interval,
    probability_of_improvement_interval,
)
from rl.sweeps.plan import setting_label, settings_of
from rl.sweeps.store import RunRecord, planned_records, read_plan

__all__ = ["EXACT_METRICS", "FINAL_METRICS", "SettingSummary", "summarize", "write_report"]

EXACT_METRICS = ("eval/exact_success", "eval/exact_return")
"""Final scores computed exactly from the environment's model, which value iteration can optimise."""
FINAL_METRICS = (*EXACT_METRICS, "eval/mean_return", "eval/success_rate")
"""Every final score of a run: the exact ones (for environments that expose their model) and the played ones."""


@dataclass(frozen=True)
class SettingSummary:
    """The statistics of one setting of a sweep over its seeds."""

    setting: dict[str, Any]
    scores: list[float]
    """The final score of each scored run (ok or diverged), in seed order."""
    seeds: list[int]
    diverged: int
    failed: int
    iqm: Interval | None
    optimum: float | None
    """The score of value iteration's policy, for an exact metric."""
    gap: Interval | None
    curve_steps: list[int]
    curves: list[list[float]]
    """Each scored run's metric at `curve_steps` (the evaluation steps every run shares)."""
    problems: list[tuple[int, str, str]]
    """(seed, status, error) of each diverged or failed run."""
    run_seconds: float
    """The training time of its runs, added up."""
    codes: list[str]
    """The code fingerprints of its runs (`rl.sweeps.store.code_fingerprint`): one, unless the code changed."""
    optimum_unknown: str = ""
    """Why the optimum of an exact metric could not be computed (its environment could not be made), or ""."""


def summarize(out: str | Path, metric: str | None = None) -> tuple[str, list[SettingSummary]]:
    """The metric used and the statistics of each setting of the sweep in folder `out`, in the plan's order.

    `metric` defaults to the plan's, else ``eval/exact_success`` when every scored run has it,
    else ``eval/mean_return``.
    """
    folder = Path(out)
    plan = read_plan(folder)
    records = planned_records(folder, plan)
    scored = [record for record in records if record.status != "failed"]
    metric = metric or plan.get("metric") or (
        "eval/exact_success" if scored and all("eval/exact_success" in r.final for r in scored) else "eval/mean_return"
    )
    missing = [r for r in scored if metric not in r.final]
    if missing:
        known = sorted({name for r in scored for name in r.final})
        raise ValueError(f"metric {metric!r} is not a final score of every run (final scores: {', '.join(known)})")
    base = plan["base"]
    summaries = []
    for setting in settings_of(plan["grid"]):
        mine = [r for r in records if _same(r.setting, setting)]
        summaries.append(_summarize_setting(setting, mine, metric, {**base, **setting}, str(folder / "sweep.json")))
    return metric, summaries


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _summarize_setting(
    setting: dict[str, Any], records: Sequence[RunRecord], metric: str, config_fields: Mapping[str, Any], source: str
) -> SettingSummary:
    scored = [r for r in records if r.status != "failed"]
    scores = [r.final[metric] for r in scored]
    optimum, optimum_unknown = None, ""
    if metric in EXACT_METRICS:
        try:
            optimum = _optimum(metric, config_fields, source)
        except ValueError as error:  # the report goes on without it, and says why
            optimum_unknown = str(error)
    steps: list[int] = []
    curves: list[list[float]] = []
    if scored and all(metric in r.history for r in scored):
        shared = set.intersection(*(set(step for step, _ in r.history[metric]) for r in scored))
        steps = sorted(shared)
        curves = [[value for step, value in r.history[metric] if step in shared] for r in scored]
    return SettingSummary(
        setting=setting,
        scores=scores,
        seeds=[r.seed for r in scored],
        diverged=sum(r.status == "diverged" for r in records),
        failed=sum(r.status == "failed" for r in records),
        iqm=iqm_interval(scores) if scores else None,
        optimum=optimum,
        gap=optimality_gap_interval(scores, optimum) if scores and optimum is not None else None,
        curve_steps=steps,
        curves=curves,
        problems=[(r.seed, r.status, r.error or "") for r in records if r.status != "ok"],
        run_seconds=sum(r.seconds for r in records),
        codes=sorted({r.code for r in records}),
        optimum_unknown=optimum_unknown,
    )


def _optimum(metric: str, config_fields: Mapping[str, Any], source: str) -> float | None:
    """The metric of value iteration's optimal policy in the setting's environment.

    Its id comes from the file `source`: `ValueError` unless making it imports nothing new
    (`rl.environments.check_registered`), or if the environment cannot be made.
    """
    config = QLearningConfig(**{**config_fields, "seed": 0})
    env_id = check_registered(config.env_id, source, advice="import its module, then call rl.sweeps.write_report")
    env = make_env(env_id, max_episode_steps=config.max_episode_steps, env_kwargs=config.env_kwargs)
    if not hasattr(env.unwrapped, "P"):
        return None
    optimal = value_iteration(env, min(config.discount, 0.999999)).policy
    exact = evaluate_policy(env, optimal, success=config.success)
    return exact.success_probability if metric == "eval/exact_success" else exact.value


def write_report(out: str | Path, metric: str | None = None) -> Path:
    """Write ``report.md`` and ``figures/`` (learning curves and final IQMs, SVG and PNG) into the sweep folder `out`.

    Returns the path of the report. `metric` as in `summarize`.
    """
    folder = Path(out)
    plan = read_plan(folder)
    metric, summaries = summarize(folder, metric)
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    title = _title(plan)
    drawn = []
    if any(s.curves for s in summaries):
        _save_figure(_curves_figure(summaries, metric, title), figures / "learning_curves")
        drawn.append(("Learning curves: mean over seeds with its 95% bootstrap band", "learning_curves"))
    if any(s.iqm for s in summaries):
        _save_figure(_iqm_figure(summaries, metric, title, plan.get("threshold")), figures / "final_iqm")
        drawn.append((f"Final {metric}: IQM over seeds with its 95% stratified-bootstrap interval", "final_iqm"))
    text = _markdown(plan, metric, summaries, title, drawn)
    return atomic_write(folder / "report.md", text)


def _title(plan: Mapping[str, Any]) -> str:
    base = plan["base"]
    kwargs = json.dumps(base["env_kwargs"]) if base["env_kwargs"] else ""
    return f"{base['env_id']} {kwargs}".strip()


def _markdown(
    plan: Mapping[str, Any], metric: str, summaries: Sequence[SettingSummary], title: str,
    figures: Sequence[tuple[str, str]],
) -> str:
    defaults = dataclasses.asdict(QLearningConfig())
    changed = {name: value for name, value in plan["base"].items()
               if name not in ("seed", *plan["grid"]) and value != _json_ready(defaults[name])}
    sessions = plan["sessions"]
    codes = sorted({code for s in summaries for code in s.codes})
    threshold = plan.get("threshold")
    seeds = plan["seeds"]
    lines = [
        f"# Sweep on {title}",
        "",
        f"- grid: {_grid_text(plan['grid'])} ({len(summaries)} setting{'s' * (len(summaries) != 1)})",
        f"- seeds: {_seed_ranges(seeds)} ({len(seeds)} per setting)",
        "- base config (fields that differ from `QLearningConfig`'s defaults): "
        + (", ".join(f"{k}={json.dumps(v)}" for k, v in changed.items()) or "none"),
        f"- final score: `{metric}` of the returned network's greedy policy"
        + (" (exact, from the environment's model)" if metric in EXACT_METRICS else " (played episodes)"),
        f"- time: {sum(s['seconds'] for s in sessions):.0f} s wall clock over {len(sessions)} session(s) "
        f"({', '.join(_session_text(s) for s in sessions)}); the runs themselves took "
        f"{sum(s.run_seconds for s in summaries):.0f} s of worker time",
        f"- code: {', '.join(codes) or 'no runs yet'} "
        "(`rl.sweeps.store.code_fingerprint` of the runs)",
        "",
        "Statistics as in rliable (Agarwal et al., NeurIPS 2021): IQM = mean of the middle half of the "
        "seeds' scores; [low, high] = 95% percentile stratified-bootstrap interval (scipy.stats.bootstrap, "
        "10,000 resamples); diverged runs count with the score of their network, failed runs are left out.",
        "",
    ]
    # the highest IQM, and between equal IQMs the highest mean (fewer bad seeds in the quarter cut off)
    best = max((s for s in summaries if s.iqm), key=lambda s: (s.iqm.estimate if s.iqm else -math.inf,
                                                               float(np.mean(s.scores))), default=None)
    # the first of equal IQMs is the one compared with the others, and said to be tied
    top = (best.iqm.estimate, np.mean(best.scores)) if best is not None and best.iqm else None
    tied = sum(s.iqm is not None and (s.iqm.estimate, np.mean(s.scores)) == top for s in summaries) > 1
    best_mark = " **(best, tied)**" if tied else " **(best)**"
    header = ["setting", "runs", "IQM [95% CI]", "mean", "median"]
    if threshold is not None:
        header.append(f"≥ {threshold:g}")
    if any(s.gap for s in summaries):
        header.append("optimality gap [95% CI]")
    if best is not None and len(summaries) > 1:
        header.append("P(best > this) [95% CI]")
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for s in summaries:
        runs = f"{len(s.scores)}" + (f" ({s.diverged} diverged)" if s.diverged else "")
        runs += f", {s.failed} failed" if s.failed else ""
        row = [setting_label(s.setting) + (best_mark if s is best and len(summaries) > 1 else ""), runs]
        if s.scores:
            row += [str(s.iqm), f"{np.mean(s.scores):.4g}", f"{np.median(s.scores):.4g}"]
        else:
            row += ["—", "—", "—"]
        if threshold is not None:
            row.append(f"{sum(score >= threshold for score in s.scores)} of {len(s.scores)}")
        if any(x.gap for x in summaries):
            row.append(str(s.gap) if s.gap else "—")
        if best is not None and len(summaries) > 1:
            improvement = probability_of_improvement_interval(best.scores, s.scores) if s.scores else None
            row.append("—" if s is best or improvement is None else str(improvement))
        lines.append("| " + " | ".join(row) + " |")
    optimum = next((s.optimum for s in summaries if s.optimum is not None), None)
    if optimum is not None:
        lines += ["", f"Optimum (value iteration's policy, evaluated exactly): {optimum:.4f}."]
    lines += [f"\nNo optimum for {setting_label(s.setting)}: {s.optimum_unknown}"
              for s in summaries if s.optimum_unknown]
    lines.append("")
    for caption, name in figures:
        lines += [f"![{caption}](figures/{name}.svg)", "", f"*{caption}.*", ""]
    if len(codes) > 1:
        lines += [f"**Warning:** these runs were made by {len(codes)} versions of the code (fingerprints "
                  f"{', '.join(codes)}); a changed learning path can change every run of a seed, so "
                  "compare only runs of one version.", ""]
    problems = [(s, *problem) for s in summaries for problem in s.problems]
    if problems:
        lines += ["## Runs that diverged or failed", ""]
        lines += [f"- {setting_label(s.setting)}, seed {seed}: {status}: {error}"
                  for s, seed, status, error in problems]
        lines.append("")
    return "\n".join(lines)


def _grid_text(grid: Mapping[str, Sequence[Any]]) -> str:
    fields = [f"{name} ∈ {{{', '.join(map(_shown, values))}}}" for name, values in grid.items()]
    return " × ".join(fields) or "none"


def _session_text(session: Mapping[str, Any]) -> str:
    where = session.get("address") or "embedded Ray"
    workers = session.get("workers")
    text = f"{session['ran']} runs in {session['seconds']:.0f} s on {where}"
    text += f" with {workers} workers" if workers else ""
    return text + (", interrupted" if session.get("interrupted") else "")


def _seed_ranges(seeds: Sequence[int]) -> str:
    ordered = sorted(seeds)
    pieces, start = [], ordered[0]
    for previous, seed in zip(ordered, [*ordered[1:], None], strict=True):
        if seed != previous + 1 if seed is not None else True:
            pieces.append(str(start) if start == previous else f"{start}–{previous}")
            if seed is not None:
                start = seed
    return ", ".join(pieces)


def _json_ready(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _shown(value: Any) -> str:
    return "none" if value is None else json.dumps(value) if isinstance(value, dict | list) else str(value).lower()


def _save_figure(figure: Any, stem: Path) -> None:
    with needs_extra("sweep", "the report of a sweep"):
        import matplotlib

    for suffix in ("svg", "png"):
        buffer = io.BytesIO()
        # a fixed salt for the SVG's element ids (else random) and no date or software version in
        # the files: the same sweep gives the same figures, byte for byte
        with matplotlib.rc_context({"svg.hashsalt": "rl-sweep-report"}):
            figure.savefig(buffer, format=suffix, dpi=110, bbox_inches="tight", metadata=_fixed_metadata(suffix))
        atomic_write(stem.with_suffix(f".{suffix}"), buffer.getvalue())


def _fixed_metadata(suffix: str) -> dict[str, Any]:
    return {"Date": None} if suffix == "svg" else {"Software": None}


def _curves_figure(summaries: Sequence[SettingSummary], metric: str, title: str) -> Any:
    figure = _new_figure(8.5, 5.0)
    axes = figure.add_subplot()
    colors = _colors(len(summaries))
    for s, color in zip(summaries, colors, strict=True):
        if not s.curves:
            continue
        mean, low, high = curve_bands(s.curves)
        axes.plot(s.curve_steps, mean, color=color, label=setting_label(s.setting), linewidth=1.6)
        if len(s.curves) > 1:
            axes.fill_between(s.curve_steps, low, high, color=color, alpha=0.15, linewidth=0)
    optimum = next((s.optimum for s in summaries if s.optimum is not None), None)
    if optimum is not None:
        axes.axhline(optimum, color="black", linestyle="--", linewidth=1, label=f"optimum {optimum:.4g}")
    axes.set_xlabel("environment step")
    axes.set_ylabel(metric)
    axes.set_title(f"{title}: mean {metric} over seeds, 95% bootstrap bands")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure


def _iqm_figure(summaries: Sequence[SettingSummary], metric: str, title: str, threshold: float | None) -> Any:
    shown = [s for s in summaries if s.iqm]
    figure = _new_figure(8.5, 0.9 + 0.45 * len(shown))
    axes = figure.add_subplot()
    colors = _colors(len(summaries))
    for row, s in enumerate(shown):
        assert s.iqm is not None
        color = colors[summaries.index(s)]
        low = s.iqm.low if not math.isnan(s.iqm.low) else s.iqm.estimate
        high = s.iqm.high if not math.isnan(s.iqm.high) else s.iqm.estimate
        axes.plot([low, high], [row, row], color=color, linewidth=6, alpha=0.45, solid_capstyle="butt")
        axes.plot([s.iqm.estimate], [row], marker="|", color=color, markersize=16, markeredgewidth=2.5)
        axes.plot(s.scores, [row] * len(s.scores), linestyle="none", marker="o", markersize=3, color="black",
                  alpha=0.5)
    axes.set_yticks(range(len(shown)), [setting_label(s.setting) for s in shown], fontsize=8)
    axes.invert_yaxis()
    optimum = next((s.optimum for s in summaries if s.optimum is not None), None)
    if optimum is not None:
        axes.axvline(optimum, color="black", linestyle="--", linewidth=1, label=f"optimum {optimum:.4g}")
    if threshold is not None:
        axes.axvline(threshold, color="tab:red", linestyle=":", linewidth=1, label=f"threshold {threshold:g}")
    if optimum is not None or threshold is not None:
        # outside the axes: inside, it hid the seeds of the settings that reach the optimum
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes.set_xlabel(f"final {metric} (bar: IQM and 95% CI; dots: seeds)")
    axes.set_title(f"{title}: final IQM per setting", fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    return figure


def _new_figure(width: float, height: float) -> Any:
    with needs_extra("sweep", "the report of a sweep"):
        from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _colors(count: int) -> list[Any]:
    from matplotlib import colormaps

    palette = colormaps["tab10" if count <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(count)]
