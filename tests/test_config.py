"""EnvConfig defaults and validation errors."""

import pytest
from pydantic import ValidationError

from alphatriangle.config import EnvConfig


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
