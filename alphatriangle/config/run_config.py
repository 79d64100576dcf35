"""A run's complete configuration: named presets, a TOML/YAML file, `--set key=value`."""

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from alphatriangle.config.env_config import EnvConfig
from alphatriangle.config.evaluation_config import EvaluationConfig
from alphatriangle.config.mcts_config import (
    RENAMED_MCTS_SETTINGS,
    MCTSConfig,
    renamed_setting_message,
)
from alphatriangle.config.model_config import MODEL_PRESETS, ModelConfig
from alphatriangle.config.ntuple_config import NTupleConfig
from alphatriangle.config.persistence_config import PersistenceConfig
from alphatriangle.config.planner_config import PlannerConfig
from alphatriangle.config.replay_config import ReplayConfig
from alphatriangle.config.selfplay_config import SelfPlayConfig
from alphatriangle.config.train_config import (
    MOVED_TRAIN_SETTINGS,
    RETIRED_TRAIN_SETTINGS,
    TrainConfig,
)
from alphatriangle.utils.errors import one_line

SECTIONS = (
    "env", "model", "mcts", "train", "selfplay", "replay", "evaluation", "persistence", "planner",
    "ntuple",
)  # fmt: skip


class RunConfig(BaseModel):
    """Every config of a run, validated together."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    env: EnvConfig = EnvConfig()
    model: ModelConfig = ModelConfig()
    mcts: MCTSConfig = MCTSConfig()
    train: TrainConfig = TrainConfig()
    selfplay: SelfPlayConfig = SelfPlayConfig()
    replay: ReplayConfig = ReplayConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    persistence: PersistenceConfig = PersistenceConfig()
    planner: PlannerConfig = PlannerConfig()
    ntuple: NTupleConfig = NTupleConfig()

    @model_validator(mode="before")
    @classmethod
    def _move_old_train_settings(cls, data: Any) -> Any:
        """A stored config (a checkpoint's, an exported agent's) from before the sections
        `selfplay`, `replay` and `evaluation`: its settings moved to where they live now."""
        if not isinstance(data, dict) or not isinstance(data.get("train"), dict):
            return data
        train = data["train"]
        if not any(name in train for name in MOVED_TRAIN_SETTINGS):
            return data
        moved: dict[str, Any] = {**data, "train": {}}
        for name, value in train.items():
            if name in MOVED_TRAIN_SETTINGS:
                section, new = MOVED_TRAIN_SETTINGS[name]
                moved[section] = {**moved.get(section, {}), new: value}
            else:
                moved["train"][name] = value
        return moved

    @model_validator(mode="after")
    def _check_sizes(self) -> "RunConfig":
        batch, replay = self.train.BATCH_SIZE, self.replay
        if batch > replay.CAPACITY:
            raise ValueError(
                f"train.BATCH_SIZE ({batch}) exceeds replay.CAPACITY ({replay.CAPACITY})"
            )
        if replay.MIN_SIZE_TO_TRAIN > replay.CAPACITY:
            raise ValueError(
                f"replay.MIN_SIZE_TO_TRAIN ({replay.MIN_SIZE_TO_TRAIN}) exceeds replay.CAPACITY "
                f"({replay.CAPACITY})"
            )
        if batch > replay.MIN_SIZE_TO_TRAIN:
            raise ValueError(
                f"replay.MIN_SIZE_TO_TRAIN ({replay.MIN_SIZE_TO_TRAIN}) must be at least "
                f"train.BATCH_SIZE ({batch})"
            )
        return self

    @property
    def persistence_root(self) -> Path:
        """Where runs are written (`persistence.ROOT_DATA_DIR`)."""
        return Path(self.persistence.ROOT_DATA_DIR)

    @property
    def per_beta_anneal_steps(self) -> int:
        """Steps over which the prioritized-replay beta rises to 1 (all training by default)."""
        return self.replay.PER_BETA_ANNEAL_STEPS or self.train.MAX_TRAINING_STEPS


SCORE_REWARDS: dict[str, float] = {
    "REWARD_PER_PLACED_TRIANGLE": 0.1,
    "REWARD_PER_CLEARED_TRIANGLE": 0.2,
    "REWARD_PER_STEP_ALIVE": 0.0,
    "PENALTY_GAME_OVER": 0.0,
}
"""The game score over 10 as the reward: the agent maximises what evaluation measures.

The original rewards value a line clear ~100x a placement and count a game's end as a fixed
-10, which undervalues surviving longer (where the score comes from) several times over.
"""

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "model": {
            "CONV_FILTERS": 8,
            "NUM_RESIDUAL_BLOCKS": 1,
            "BODY_OUTPUT_CHANNELS": 2,
            "FC_DIMS_SHARED": (32,),
            "VALUE_HEAD_DIMS": (16,),
            "NUM_VALUE_ATOMS": 21,
        },
        "mcts": {"NUM_SIMULATIONS": 4, "GUMBEL_MAX_CONSIDERED_ACTIONS": 4},
        "train": {
            "MAX_TRAINING_STEPS": 40,
            "BATCH_SIZE": 16,
            "METRICS_LOG_FREQ_STEPS": 5,
            "CHECKPOINT_SAVE_FREQ_STEPS": 10,
        },
        "selfplay": {"WORKERS": 1, "GAMES_PER_WORKER": 4, "WEIGHT_UPDATE_FREQ_STEPS": 10},
        "replay": {"CAPACITY": 2_000, "MIN_SIZE_TO_TRAIN": 32, "MAX_SAMPLES_PER_EXPERIENCE": 16.0},
        "evaluation": {"FREQ_STEPS": 20, "TIME_SHARE": 1.0, "GAMES": 4},
        "persistence": {"BUFFER_SAVE_FREQ_STEPS": 20},
    },
    "laptop": {
        "env": SCORE_REWARDS,
        "mcts": {"NUM_SIMULATIONS": 24, "GUMBEL_MAX_CONSIDERED_ACTIONS": 8},
        "train": {
            "MAX_TRAINING_STEPS": 200_000,  # far above a CPU's hour: the time budget ends the run
            "MAX_TRAINING_MINUTES": 60,
            "BATCH_SIZE": 128,
            "LEARNING_RATE": 1e-3,
        },
        "selfplay": {
            "WORKERS": 2,
            "GAMES_PER_WORKER": 32,
            "PLANNER_WARM_START_STEPS": 3_000,
            "WARM_START_PLAYER": "ntuple",
        },
        "replay": {"CAPACITY": 50_000, "MIN_SIZE_TO_TRAIN": 2_000},
        "evaluation": {"FREQ_STEPS": 2_000, "SIMULATIONS": 64, "MAX_CONSIDERED_ACTIONS": 4},
    },
    "ntuple": {
        "train": {
            "AGENT": "ntuple",
            "MAX_TRAINING_STEPS": 1_000_000,  # far above an hour: the time budget ends the run
            "MAX_TRAINING_MINUTES": 60,
            "METRICS_LOG_FREQ_STEPS": 100,
            "CHECKPOINT_SAVE_FREQ_STEPS": 1_000,
        },
        "selfplay": {"WORKERS": 2},
        "evaluation": {"FREQ_STEPS": 3_000},
    },
    "large": {
        "env": SCORE_REWARDS,
        "model": MODEL_PRESETS["large"],
        "mcts": {"NUM_SIMULATIONS": 64},
        "train": {
            "MAX_TRAINING_STEPS": 200_000,
            "BATCH_SIZE": 1024,
            "LEARNING_RATE": 2e-3,
            "COMPILE_MODEL": True,
        },
        "selfplay": {
            "WORKERS": 16,
            "GAMES_PER_WORKER": 64,
            "DEVICE": "auto",  # CPU self-play of this network: ~40x fewer positions
        },
        "replay": {"CAPACITY": 1_000_000, "MIN_SIZE_TO_TRAIN": 50_000},
        "persistence": {"BUFFER_SAVE_FREQ_STEPS": 10_000},
    },
}
DEFAULT_PRESET = "laptop"


class ConfigError(ValueError):
    """A config file, override or value is wrong; the message is one line for the user."""


def _check_name(section: str, name: str, origin: str) -> None:
    """Refuse a setting written with its name from before the UPPER_CASE rename, or one
    that is no longer a setting, with one line saying what to write instead."""
    if section == "mcts" and name in RENAMED_MCTS_SETTINGS:
        new = RENAMED_MCTS_SETTINGS[name]
        raise ConfigError(renamed_setting_message(section, name, new, origin))
    if section == "train" and name in MOVED_TRAIN_SETTINGS:
        new_section, new = MOVED_TRAIN_SETTINGS[name]
        raise ConfigError(f"{origin}: train.{name} is now {new_section}.{new}; rename it")
    if section == "train" and name in RETIRED_TRAIN_SETTINGS:
        instead = RETIRED_TRAIN_SETTINGS[name]
        raise ConfigError(f"{origin}: {section}.{name} is no longer a setting; use {instead}")


def _merge(base: dict[str, Any], extra: dict[str, Any], origin: str) -> None:
    for section, values in extra.items():
        if section not in SECTIONS:
            raise ConfigError(f"{origin}: unknown section {section!r}; use {', '.join(SECTIONS)}")
        if not isinstance(values, dict):
            raise ConfigError(f"{origin}: section {section!r} must be a table of settings")
        for name in values:
            _check_name(section, name, origin)
        base.setdefault(section, {}).update(values)


def read_config_file(path: Path) -> dict[str, Any]:
    """A TOML (`.toml`) or YAML (`.yaml`, `.yml`) file of `[section]` tables."""
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"config file {path} must end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"config file {path} is not valid: {one_line(error)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold tables such as [train]")
    return data


def parse_override(text: str) -> tuple[str, str, Any]:
    """`section.KEY=value` with a YAML scalar or list value."""
    key, sep, raw = text.partition("=")
    section, dot, name = key.strip().partition(".")
    if not sep or not dot or not name:
        raise ConfigError(
            f"override {text!r} must look like section.KEY=value, e.g. train.BATCH_SIZE=64"
        )
    if section not in SECTIONS:
        raise ConfigError(
            f"override {text!r}: unknown section {section!r}; use {', '.join(SECTIONS)}"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return section, name.strip(), value


def load_run_config(
    preset: str = DEFAULT_PRESET,
    config_file: Path | None = None,
    overrides: list[str] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> RunConfig:
    """The preset, then the file, then the `section.KEY=value` overrides, then `settings`
    (`{"section.KEY": value}`, typed values: a command's flags); raises `ConfigError` if
    invalid."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}: choose {', '.join(PRESETS)}")
    merged: dict[str, dict[str, Any]] = {}
    _merge(merged, json.loads(json.dumps(PRESETS[preset])), f"preset {preset}")
    if config_file is not None:
        _merge(merged, read_config_file(config_file), str(config_file))
    for text in overrides or []:
        section, name, value = parse_override(text)
        _check_name(section, name, f"--set {text}")
        merged.setdefault(section, {})[name] = value
    for key, value in (settings or {}).items():
        section, name = key.split(".", 1)
        merged.setdefault(section, {})[name] = value
    try:
        return RunConfig.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(f"invalid configuration: {one_line(error)}") from None


def override_search(mcts: MCTSConfig, overrides: list[str]) -> MCTSConfig:
    """`mcts` with `mcts.KEY=value` overrides (an agent's search at play time); raises
    `ConfigError` for another section or an invalid value."""
    values = mcts.model_dump()
    for text in overrides:
        section, name, value = parse_override(text)
        if section != "mcts":
            raise ConfigError(f"--set {text}: only search settings (mcts.KEY=value) apply here")
        _check_name(section, name, f"--set {text}")
        values[name] = value
    try:
        return MCTSConfig.model_validate(values)
    except ValidationError as error:
        raise ConfigError(f"invalid search setting: {one_line(error)}") from None
