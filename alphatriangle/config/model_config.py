"""Network architecture: conv/residual body, optional transformer, heads, value support."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ModelConfig(BaseModel):
    """`AlphaTriangleNet` dimensions; the default is small enough for CPU self-play."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    CONV_FILTERS: int = Field(default=32, ge=1, description="Channels of the stem and blocks.")
    NUM_RESIDUAL_BLOCKS: int = Field(
        description="Residual conv blocks after the stem.", default=2, ge=0
    )
    USE_TRANSFORMER: bool = Field(
        default=False,
        description="Add transformer layers over the board cells after the conv body.",
    )
    TRANSFORMER_DIM: int = Field(
        description="Width of the transformer layers (a multiple of the heads).", default=32, ge=1
    )
    TRANSFORMER_HEADS: int = Field(
        description="Attention heads per transformer layer.", default=4, ge=1
    )
    TRANSFORMER_LAYERS: int = Field(description="Transformer encoder layers.", default=1, ge=1)
    TRANSFORMER_FC_DIM: int = Field(
        description="Feed-forward width inside each transformer layer.", default=64, ge=1
    )
    BODY_OUTPUT_CHANNELS: int = Field(
        default=8, ge=1, description="1x1 conv width before the body is flattened."
    )
    FC_DIMS_SHARED: tuple[int, ...] = Field(
        default=(128,), description="Widths of the fully connected layers shared by both heads."
    )
    POLICY_HEAD_CHANNELS: int = Field(
        default=16, ge=1, description="Width of the per-slot convolutional policy head."
    )
    VALUE_HEAD_DIMS: tuple[int, ...] = Field(
        default=(64,), description="Widths of the value head's hidden layers."
    )
    NTUPLE_VALUE_DIM: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Width of the n-tuple value features (0: none): a learned vector per "
        "occupancy pattern of each of the n-tuple baseline's tuples, summed over the board and "
        "fed to the value head beside the shared layers.",
    )
    NTUPLE_VALUE_FROM_WARM_START: bool = Field(
        default=False,
        description="With NTUPLE_VALUE_DIM and the n-tuple warm start: the table's first "
        "column starts as the warm-start player's values (in hundreds of points) when its "
        "learning ends, before the first training step.",
    )
    NUM_VALUE_ATOMS: int = Field(
        description="Atoms of the distributional value support.", default=51, ge=2
    )
    VALUE_MIN: float = Field(
        default=-20.0,
        description="Lowest return the value support covers (after the value transform).",
    )
    VALUE_MAX: float = Field(
        default=300.0,
        description="Highest return the value support covers (after the value transform).",
    )
    VALUE_TRANSFORM_EPSILON: float = Field(
        default=0.001, ge=0.0, description="h(x) = sign(x)(sqrt(|x|+1)-1) + eps*x"
    )
    ACTIVATION_FUNCTION: Literal["relu", "gelu", "silu"] = Field(
        default="relu", description="Activation of every hidden layer."
    )
    USE_BATCH_NORM: bool = Field(
        default=True,
        description="Batch norm in the conv layers (folded into the convs for inference).",
    )

    @model_validator(mode="after")
    def _check_dimensions(self) -> "ModelConfig":
        if self.VALUE_MIN >= self.VALUE_MAX:
            raise ValueError(
                f"VALUE_MIN ({self.VALUE_MIN}) must be below VALUE_MAX ({self.VALUE_MAX})"
            )
        if self.USE_TRANSFORMER and self.TRANSFORMER_DIM % self.TRANSFORMER_HEADS:
            raise ValueError(
                f"TRANSFORMER_DIM ({self.TRANSFORMER_DIM}) must be divisible by "
                f"TRANSFORMER_HEADS ({self.TRANSFORMER_HEADS})"
            )
        for name in ("FC_DIMS_SHARED", "VALUE_HEAD_DIMS"):
            if any(width < 1 for width in getattr(self, name)):
                raise ValueError(f"{name} widths must be >= 1")
        return self

    @classmethod
    def preset(cls, name: str) -> "ModelConfig":
        """`small` (CPU self-play, the default), `medium`, `large` (GPU, with transformer)."""
        if name not in MODEL_PRESETS:
            raise ValueError(f"unknown model preset {name!r}: choose {', '.join(MODEL_PRESETS)}")
        return cls.model_validate(MODEL_PRESETS[name])


MODEL_PRESETS: dict[str, dict[str, object]] = {
    "small": {},
    "medium": {"CONV_FILTERS": 64, "NUM_RESIDUAL_BLOCKS": 4, "FC_DIMS_SHARED": (256,)},
    "large": {
        "CONV_FILTERS": 128,
        "NUM_RESIDUAL_BLOCKS": 8,
        "USE_TRANSFORMER": True,
        "TRANSFORMER_DIM": 128,
        "TRANSFORMER_HEADS": 8,
        "TRANSFORMER_LAYERS": 2,
        "TRANSFORMER_FC_DIM": 256,
        "BODY_OUTPUT_CHANNELS": 32,
        "FC_DIMS_SHARED": (512,),
        "VALUE_HEAD_DIMS": (256,),
        "NUM_VALUE_ATOMS": 101,
    },
}
