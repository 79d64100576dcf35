"""Find, load and export a trained agent: a checkpoint, a run, or an exported agent directory.

An exported agent (`alphatriangle export`, e.g. the shipped `models/laptop/`) is
`model.safetensors` plus `agent.json` (format version, configs, provenance) and a model card
`README.md`: no optimizer state, no buffer, nothing that runs code when loaded.
"""

import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from alphatriangle.baselines.ntuple import WEIGHTS_KEY, NTuplePlayer
from alphatriangle.config import PersistenceConfig, RunConfig
from alphatriangle.data import (
    CHECKPOINT_FORMAT_VERSION,
    DEFAULT_ROOT,
    DataManager,
    ExportedAgent,
    PathManager,
    Serializer,
    checkpoint_format_version,
    load_checkpoint_dir,
)
from alphatriangle.data.data_manager import MODEL_FILE, STATE_FILE
from alphatriangle.nn import NeuralNetwork
from alphatriangle.nn.network import Weights
from alphatriangle.utils import UserError, one_line

AGENT_FILE = "agent.json"
CARD_FILE = "README.md"


class CheckpointError(UserError, ValueError):
    """The checkpoint is missing or damaged; the message is one line for the user (the
    command line shows it as every `UserError`)."""


@dataclass(frozen=True)
class Agent:
    """A trained AlphaZero network with its run's configs."""

    name: str
    network: NeuralNetwork
    config: RunConfig
    checkpoint_dir: Path
    global_step: int


@dataclass(frozen=True)
class NTupleAgent:
    """A trained n-tuple player (`train --preset ntuple`) with its run's configs."""

    name: str
    player: NTuplePlayer
    config: RunConfig
    checkpoint_dir: Path
    global_step: int


AnyAgent = Agent | NTupleAgent


def is_exported_agent(path: Path) -> bool:
    return (path / AGENT_FILE).is_file()


def run_managers(target: str, root: Path = DEFAULT_ROOT) -> list[DataManager]:
    """The runs `target` may name: a run directory, else a run under `root` (none for a
    checkpoint or an exported agent)."""
    path = Path(target)
    if (path / STATE_FILE).is_file() or is_exported_agent(path):
        return []
    candidates = [path] if (path / "checkpoints").is_dir() else []
    candidates.append(root / "runs" / target)
    return [DataManager(PathManager(d.parent.parent, d.name)) for d in candidates]


def resolve_checkpoint(target: str, root: Path = DEFAULT_ROOT) -> Path:
    """A step directory or exported agent from itself, a run directory or a run name (the
    run's best, else latest, checkpoint)."""
    path = Path(target)
    if (path / STATE_FILE).is_file() or is_exported_agent(path):
        return path
    for manager in run_managers(target, root):
        run_dir = manager.paths.run_dir
        try:
            found = manager.checkpoint_dir("best") or manager.checkpoint_dir("latest")
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CheckpointError(
                f"the checkpoint pointers of {run_dir} are damaged: {one_line(error)}"
            ) from None
        if found is not None:
            return found
    raise CheckpointError(
        f"no checkpoint at {target!r}: give a run name (under {root / 'runs'}), a run "
        "directory, a checkpoint directory or an exported agent directory such as models/laptop"
    )


def _read_exported(path: Path) -> tuple[ExportedAgent, Weights]:
    payload = Serializer().load_json(path / AGENT_FILE)
    if not isinstance(payload, dict):
        raise ValueError(f"{path / AGENT_FILE} is not an agent description (a JSON object)")
    version = checkpoint_format_version(payload, path)
    exported = ExportedAgent.model_validate({**payload, "format_version": version})
    return exported, Serializer().load_weights(path / MODEL_FILE)


def _read_checkpoint(step_dir: Path) -> tuple[ExportedAgent, Weights]:
    loaded = load_checkpoint_dir(step_dir)
    assert loaded.checkpoint is not None and loaded.weights is not None
    checkpoint = loaded.checkpoint
    described = ExportedAgent(
        format_version=checkpoint.format_version,
        run_name=checkpoint.run_name,
        global_step=checkpoint.global_step,
        configs=checkpoint.configs,
        exported_at=checkpoint.saved_at,
    )
    return described, loaded.weights


def load_any_agent(target: str, root: Path = DEFAULT_ROOT, device: str = "cpu") -> AnyAgent:
    """The network (or n-tuple player) and configs of a checkpoint, run or exported agent;
    `CheckpointError` with one line (naming the format version where it is older than this
    code's) if it cannot."""
    return _load(resolve_checkpoint(target, root), device)[0]


def load_agent(target: str, root: Path = DEFAULT_ROOT, device: str = "cpu") -> Agent:
    """`load_any_agent` for what needs a network (its search, its values)."""
    agent = load_any_agent(target, root, device)
    if isinstance(agent, NTupleAgent):
        raise CheckpointError(
            f"{target} is an n-tuple player, which has no network or search to show here; "
            "give an AlphaZero agent such as models/laptop"
        )
    return agent


def _load(where: Path, device: str) -> tuple[AnyAgent, ExportedAgent, Weights]:
    read = _read_exported if is_exported_agent(where) else _read_checkpoint
    version: int | None = None
    try:
        described, weights = read(where)
        version = described.format_version
        config = RunConfig.model_validate(described.configs)
        name = f"{described.run_name}@{described.global_step}"
        if config.train.AGENT == "ntuple":
            table = np.asarray(weights[WEIGHTS_KEY], dtype=np.float32)
            player = NTuplePlayer(config.env, config.ntuple, table)
            ntuple = NTupleAgent(name, player, config, where, described.global_step)
            return ntuple, described, weights
        network = NeuralNetwork(config.model, config.env, device=device)
        network.set_weights(weights)
    except Exception as error:  # any reader's error: a damaged file has many ways to fail
        if version is not None and version < CHECKPOINT_FORMAT_VERSION:
            raise CheckpointError(
                f"{where} is checkpoint format {version}; this alphatriangle reads format "
                f"{CHECKPOINT_FORMAT_VERSION} and cannot convert it: {one_line(error)}"
            ) from None
        raise CheckpointError(f"checkpoint {where} is damaged: {one_line(error)}") from None
    agent = Agent(
        name=name,
        network=network,
        config=config,
        checkpoint_dir=where,
        global_step=described.global_step,
    )
    return agent, described, weights


def _description(agent: AnyAgent) -> list[str]:
    """The model card's lines on what plays: the network and its search, or the tuples."""
    config = agent.config
    if isinstance(agent, NTupleAgent):
        layout = agent.player.layout
        return [
            f"- n-tuple player: {layout.sizes.shape[0]} tuples (lines: {config.ntuple.LINES}, "
            f"windows: {', '.join(f'{r}x{c}' for r, c in config.ntuple.PATCHES) or 'none'}), "
            f"{layout.num_weights:,} weights, learned by TD over end-of-hand afterstates",
            f"- search when playing: a beam of {config.ntuple.BEAM_WIDTH} over the whole hand",
        ]
    model = config.model
    return [
        f"- network: {model.NUM_RESIDUAL_BLOCKS} residual blocks of {model.CONV_FILTERS} "
        f"filters, {sum(p.numel() for p in agent.network.model.parameters()):,} parameters",
        f"- search when playing: {config.evaluation.SIMULATIONS or config.mcts.NUM_SIMULATIONS}"
        " simulations (change with `--simulations`)",
    ]


def model_card(agent: AnyAgent, described: ExportedAgent, evaluation: dict[str, Any] | None) -> str:
    """The exported agent's `README.md`: what it is, where it came from, how it scores."""
    lines = [
        f"# {agent.name}",
        "",
        f"An AlphaTriangle agent exported from run `{described.run_name}` at training step "
        f"{described.global_step:,} (exported {described.exported_at}, checkpoint format "
        f"{described.format_version}).",
        "",
        *_description(agent),
        "",
        "```",
        f"alphatriangle eval {agent.checkpoint_dir} --games 100",
        f"alphatriangle watch {agent.checkpoint_dir} --seed 7 --out game.html",
        "```",
    ]
    if evaluation is not None:
        lines += ["", *evaluation_markdown(evaluation)]
    return "\n".join(lines) + "\n"


def evaluation_markdown(payload: dict[str, Any]) -> list[str]:
    """The table of an `eval --json` file as Markdown lines."""
    results = payload["results"]
    diffs = payload["paired_differences"]
    reference = results[0]["name"]
    search = (
        f"at {payload['simulations']} simulations"
        if payload["simulations"]
        else "(an n-tuple player with its own beam, an AlphaZero one at its run's budget)"
    )
    lines = [
        f"`alphatriangle eval` on {len(results[0]['seeds'])} seeds {search}:",
        "",
        f"| policy | mean | median | p10 | p90 | max | moves | lines | {reference} - policy "
        "(95% CI) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        s = result["summary"]
        d = diffs.get(result["name"])
        diff = (
            "-"
            if d is None
            else (f"{d['mean_difference']:+.1f} [{d['ci_low']:+.1f}, {d['ci_high']:+.1f}]")
        )
        lines.append(
            f"| {result['name']} | {s['mean']:.1f} | {s['median']:.1f} | {s['p10']:.1f} | "
            f"{s['p90']:.1f} | {s['max']:.0f} | {s['mean_length']:.1f} | "
            f"{s['lines_per_game']:.1f} | {diff} |"
        )
    return lines


def export_agent(
    target: str,
    out_dir: Path,
    evaluation: dict[str, Any] | None = None,
    force: bool = False,
    root: Path = DEFAULT_ROOT,
) -> Path:
    """Write an agent directory (weights, `agent.json`, model card) from a checkpoint. It
    records the run name and step, not where the run lived (persistence settings default).

    Refuses, before writing anything, a non-empty `out_dir` unless it is an exported agent
    and `force` is set; the new directory replaces the old one in one rename.
    """
    occupied = out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir()))
    if occupied and not (force and is_exported_agent(out_dir)):
        raise CheckpointError(
            f"{out_dir} already exists and is not empty; choose a new directory "
            "(or --force to replace an exported agent)"
        )
    agent, described, weights = _load(resolve_checkpoint(target, root), "cpu")
    portable = agent.config.model_copy(update={"persistence": PersistenceConfig()})
    described = described.model_copy(
        update={
            "format_version": CHECKPOINT_FORMAT_VERSION,
            "configs": portable.model_dump(mode="json"),
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
    )
    staging = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    serializer = Serializer()
    serializer.save_weights(staging / MODEL_FILE, weights)
    serializer.save_json(staging / AGENT_FILE, described.model_dump(mode="json"))
    exported = replace(agent, checkpoint_dir=out_dir)
    (staging / CARD_FILE).write_text(model_card(exported, described, evaluation))
    replaced = out_dir.with_name(f".{out_dir.name}.replaced")
    if out_dir.exists():
        shutil.rmtree(replaced, ignore_errors=True)
        out_dir.rename(replaced)
    staging.rename(out_dir)
    shutil.rmtree(replaced, ignore_errors=True)
    return out_dir
