"""Configuration: defaults, validation errors, naming, descriptions and renamed settings."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from alphatriangle.config import (
    ConfigError,
    EnvConfig,
    EvaluationConfig,
    MCTSConfig,
    ModelConfig,
    PersistenceConfig,
    PlannerConfig,
    ReplayConfig,
    RunConfig,
    SelfPlayConfig,
    TrainConfig,
    load_run_config,
)


def test_defaults_are_the_original_game() -> None:
    cfg = EnvConfig()
    assert (cfg.ROWS, cfg.COLS, cfg.NUM_SHAPE_SLOTS) == (8, 15, 3)
    assert cfg.ACTION_DIM == 360
    assert cfg.playable_cell_count == 96
    assert cfg.model_dump()["ACTION_DIM"] == 360


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"ROWS": 0}, "ROWS", "greater than or equal to 1"),
        ({"NUM_SHAPE_SLOTS": 0}, "NUM_SHAPE_SLOTS", "greater than or equal to 1"),
        ({"ROWS": 7}, "PLAYABLE_RANGE_PER_ROW", "one per row"),
        ({"ROWS": 9, "COLS": 15}, "", "exceeds 128"),
        ({"PLAYABLE_RANGE_PER_ROW": ((3, 12),) * 7 + ((5, 16),)}, "", "PLAYABLE_RANGE_PER_ROW[7]"),
        ({"PLAYABLE_RANGE_PER_ROW": ((0, 0),) * 8}, "", "no playable cell"),
        ({"REWARD_PER_STEP_ALIVE": "lots"}, "REWARD_PER_STEP_ALIVE", "valid number"),
        ({"ROWSS": 8}, "ROWSS", "Extra inputs"),
    ],
)
def test_invalid_values_name_the_field_and_reason(
    overrides: dict[str, object], field: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as info:
        EnvConfig.model_validate(overrides)
    assert field in str(info.value)
    assert reason in str(info.value)


def test_config_is_immutable() -> None:
    with pytest.raises(ValidationError):
        EnvConfig().ROWS = 5  # type: ignore[misc]


def test_a_dumped_config_loads_back() -> None:
    cfg = EnvConfig(NUM_SHAPE_SLOTS=2)
    assert EnvConfig.model_validate(cfg.model_dump()) == cfg
    assert EnvConfig.model_validate_json(cfg.model_dump_json()) == cfg
    with pytest.raises(ValidationError, match="ACTION_DIM is computed"):
        EnvConfig.model_validate({**cfg.model_dump(), "ACTION_DIM": 360})


SECTION_MODELS: dict[str, type[BaseModel]] = {
    "EnvConfig": EnvConfig,
    "ModelConfig": ModelConfig,
    "MCTSConfig": MCTSConfig,
    "TrainConfig": TrainConfig,
    "SelfPlayConfig": SelfPlayConfig,
    "ReplayConfig": ReplayConfig,
    "EvaluationConfig": EvaluationConfig,
    "PersistenceConfig": PersistenceConfig,
    "PlannerConfig": PlannerConfig,
}


@pytest.mark.parametrize("model", SECTION_MODELS.values(), ids=SECTION_MODELS.keys())
def test_every_setting_is_upper_case_and_described(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        assert name == name.upper(), name
        assert field.description, f"{model.__name__}.{name} has no description"


def test_the_config_readme_names_only_real_settings() -> None:
    readme = (Path(__file__).parent.parent / "alphatriangle" / "config" / "README.md").read_text()
    for row in (line for line in readme.splitlines() if line.startswith("| `")):
        model = SECTION_MODELS.get(row.split("`")[1])
        if model is None:
            continue
        named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row))
        fields = set(model.model_fields) | {"ACTION_DIM"}
        assert named <= fields | {"PER_*"}, named - fields


def test_old_search_setting_names_get_one_line_naming_the_new_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--set mcts.num_simulations=8: mcts.num_simulations "
                       r"is now mcts.NUM_SIMULATIONS; rename it$"):  # fmt: skip
        load_run_config("quick", overrides=["mcts.num_simulations=8"])
    old_file = tmp_path / "old.toml"
    old_file.write_text("[mcts]\nreuse_tree = false\n")
    with pytest.raises(ConfigError, match=r"mcts\.reuse_tree is now mcts\.REUSE_TREE") as error:
        load_run_config("quick", old_file)
    assert str(old_file) in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(ValidationError, match=r"mcts\.discount is now mcts\.DISCOUNT"):
        MCTSConfig.model_validate({"discount": 0.9})


def test_retired_settings_name_what_replaced_them_and_old_stored_configs_still_load(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match=r"^--set train.RUN_NAME=x: train.RUN_NAME is no longer "
                       r"a setting; use train --run-name NAME$"):  # fmt: skip
        load_run_config("quick", overrides=["train.RUN_NAME=x"])
    old_file = tmp_path / "old.yaml"
    old_file.write_text("train:\n  AUTO_RESUME_LATEST: false\n")
    with pytest.raises(ConfigError, match=r"use train --resume / --no-resume$"):
        load_run_config("quick", old_file)
    stored = {"RUN_NAME": None, "AUTO_RESUME_LATEST": True, "BATCH_SIZE": 64}
    assert TrainConfig.model_validate(stored) == TrainConfig(BATCH_SIZE=64)


def test_settings_that_left_train_name_their_new_place_and_stored_ones_move_over() -> None:
    with pytest.raises(ConfigError, match=r"^--set train.EVAL_GAMES=4: train.EVAL_GAMES is now "
                       r"evaluation.GAMES; rename it$"):  # fmt: skip
        load_run_config("quick", overrides=["train.EVAL_GAMES=4"])
    stored = {
        "train": {"BATCH_SIZE": 64, "NUM_SELF_PLAY_WORKERS": 3, "BUFFER_CAPACITY": 1000,
                  "MIN_BUFFER_SIZE_TO_TRAIN": 100, "EVAL_GAMES": 7, "N_STEP_RETURNS": 5},
        "evaluation": {"SIMULATIONS": 16},
    }  # fmt: skip
    config = RunConfig.model_validate(stored)
    assert (config.selfplay.WORKERS, config.selfplay.N_STEP_RETURNS) == (3, 5)
    assert (config.replay.CAPACITY, config.replay.MIN_SIZE_TO_TRAIN) == (1000, 100)
    assert (config.evaluation.GAMES, config.evaluation.SIMULATIONS) == (7, 16)
    assert config.train.BATCH_SIZE == 64


def test_the_batch_is_checked_against_the_replay_sizes() -> None:
    with pytest.raises(ConfigError, match=r"train.BATCH_SIZE \(4096\) exceeds replay.CAPACITY"):
        load_run_config("quick", overrides=["train.BATCH_SIZE=4096"])
    with pytest.raises(ConfigError, match=r"replay.MIN_SIZE_TO_TRAIN \(8\) must be at least"):
        load_run_config("quick", overrides=["replay.MIN_SIZE_TO_TRAIN=8"])


def test_the_teacher_share_falls_linearly_over_the_handover() -> None:
    """1 before the warm start's end, then 1 - (step - end) / handover, then 0."""
    selfplay = SelfPlayConfig(PLANNER_WARM_START_STEPS=100, WARM_START_HANDOVER_STEPS=50)
    shares = [selfplay.teacher_share(step) for step in (0, 99, 100, 110, 125, 149, 150, 900)]
    assert shares == [1.0, 1.0, 1.0, 0.8, 0.5, pytest.approx(0.02), 0.0, 0.0]
    assert selfplay.teacher_end_step == 150
    at_once = SelfPlayConfig(PLANNER_WARM_START_STEPS=100)
    assert [at_once.teacher_share(s) for s in (99, 100)] == [1.0, 0.0]
    assert at_once.teacher_end_step == 100
