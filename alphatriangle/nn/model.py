"""`AlphaTriangleNet`: conv/residual body, optional transformer, policy and value heads
(the value head optionally reading n-tuple features beside the body's)."""

from itertools import pairwise

import torch
from torch import nn

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.features import feature_spec
from alphatriangle.nn.ntuple_features import NTupleFeatures

_ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}


def _conv_block(cfg: ModelConfig, cin: int, cout: int, kernel: int) -> list[nn.Module]:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=not cfg.USE_BATCH_NORM)
    ]
    if cfg.USE_BATCH_NORM:
        layers.append(nn.BatchNorm2d(cout))
    return layers


def _mlp(cfg: ModelConfig, sizes: list[int]) -> nn.Sequential:
    """Linear layers with activations between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[cfg.ACTIVATION_FUNCTION]())
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    def __init__(self, cfg: ModelConfig, channels: int) -> None:
        super().__init__()
        act = _ACTIVATIONS[cfg.ACTIVATION_FUNCTION]
        self.body = nn.Sequential(
            *_conv_block(cfg, channels, channels, 3),
            act(),
            *_conv_block(cfg, channels, channels, 3),
        )
        self.act = act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.act(x + self.body(x))
        return out


class CellTransformer(nn.Module):
    """A transformer encoder over the board's cells as tokens, with learned positions."""

    def __init__(self, cfg: ModelConfig, channels: int, cells: int) -> None:
        super().__init__()
        dim = cfg.TRANSFORMER_DIM
        self.project_in = nn.Conv2d(channels, dim, 1)
        self.position = nn.Parameter(torch.zeros(1, cells, dim))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(
            dim,
            cfg.TRANSFORMER_HEADS,
            cfg.TRANSFORMER_FC_DIM,
            dropout=0.0,
            activation="gelu" if cfg.ACTIVATION_FUNCTION == "gelu" else "relu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, cfg.TRANSFORMER_LAYERS, enable_nested_tensor=False
        )
        self.out_channels = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, rows, cols = x.shape
        tokens = self.project_in(x).flatten(2).transpose(1, 2) + self.position
        encoded: torch.Tensor = self.encoder(tokens)
        return encoded.transpose(1, 2).reshape(b, -1, rows, cols)


class SlotPolicyHead(nn.Module):
    """Logits for placing each slot's shape at each cell, one convolution shared by the slots.

    The body's features are modulated per slot by its shape (FiLM from the shape's one-hot),
    so a placement is scored where it lands; the output is laid out as the action encoding,
    `slot * ROWS * COLS + r * COLS + c`.
    """

    def __init__(self, cfg: ModelConfig, channels: int, num_slots: int, num_shapes: int) -> None:
        super().__init__()
        width = cfg.POLICY_HEAD_CHANNELS
        self.num_slots = num_slots
        self.num_shapes = num_shapes
        self.project = nn.Conv2d(channels, width, 1)
        self.film = nn.Linear(num_shapes, 2 * width)
        self.act = _ACTIVATIONS[cfg.ACTIVATION_FUNCTION]()
        self.logits = nn.Conv2d(width, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        b, _, rows, cols = x.shape
        shapes = other[:, : self.num_slots * self.num_shapes].reshape(-1, self.num_shapes)
        scale, shift = self.film(shapes)[:, :, None, None].chunk(2, dim=1)
        projected = self.project(x).repeat_interleave(self.num_slots, dim=0)
        hidden = self.act(projected * (1.0 + scale) + shift)
        logits: torch.Tensor = self.logits(hidden)
        return logits.reshape(b, self.num_slots * rows * cols)


class AlphaTriangleNet(nn.Module):
    """Policy logits over `ACTION_DIM` and value logits over `NUM_VALUE_ATOMS`."""

    def __init__(self, model_config: ModelConfig, env_config: EnvConfig) -> None:
        super().__init__()
        cfg = model_config
        spec = feature_spec(env_config)
        act = _ACTIVATIONS[cfg.ACTIVATION_FUNCTION]
        self.stem = nn.Sequential(
            *_conv_block(cfg, spec.board_channels, cfg.CONV_FILTERS, 3), act()
        )
        self.blocks = nn.Sequential(
            *(ResidualBlock(cfg, cfg.CONV_FILTERS) for _ in range(cfg.NUM_RESIDUAL_BLOCKS))
        )
        channels = cfg.CONV_FILTERS
        self.transformer: CellTransformer | None = None
        if cfg.USE_TRANSFORMER:
            self.transformer = CellTransformer(cfg, channels, spec.rows * spec.cols)
            channels = self.transformer.out_channels
        self.reduce = nn.Sequential(
            *_conv_block(cfg, channels, cfg.BODY_OUTPUT_CHANNELS, 1), act(), nn.Flatten()
        )
        body_dim = cfg.BODY_OUTPUT_CHANNELS * spec.rows * spec.cols + spec.other_dim
        shared = [body_dim, *cfg.FC_DIMS_SHARED]
        self.shared = nn.Sequential(_mlp(cfg, shared), act())
        self.policy_head = SlotPolicyHead(cfg, channels, spec.num_slots, spec.num_shapes)
        self.ntuple: NTupleFeatures | None = None
        if cfg.NTUPLE_VALUE_DIM:
            self.ntuple = NTupleFeatures(env_config, cfg.NTUPLE_VALUE_DIM)
        value_in = shared[-1] + cfg.NTUPLE_VALUE_DIM
        self.value_head = _mlp(cfg, [value_in, *cfg.VALUE_HEAD_DIMS, cfg.NUM_VALUE_ATOMS])

    def forward(
        self, board: torch.Tensor, other: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.blocks(self.stem(board))
        if self.transformer is not None:
            x = self.transformer(x)
        hidden = self.shared(torch.cat([self.reduce(x), other], dim=1))
        if self.ntuple is not None:
            hidden = torch.cat([hidden, self.ntuple(board[:, 0]).to(hidden.dtype)], dim=1)
        return self.policy_head(x, other), self.value_head(hidden)
