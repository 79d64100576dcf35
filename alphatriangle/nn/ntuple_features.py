"""`NTupleFeatures`: the n-tuple baseline's table lookups as a learned input of the value head.

Each tuple of cells (the baseline's layout) reads its occupancy pattern as an index, and each
pattern owns a learned vector; the vectors of the board's patterns are summed. It costs one
small integer matmul and a gather per position (ONNX MatMul, Gather, ReduceSum), and gives the
value what makes the n-tuple player strong: a separate weight for every local pattern.
"""

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from alphatriangle.baselines.ntuple.layout import tuple_layout
from alphatriangle.config import EnvConfig
from alphatriangle.config.ntuple_config import NTupleConfig
from alphatriangle.game.geometry import engine_tables

VALUES_PER_UNIT = 0.01
"""A seeded table holds points / 100: features of order one for the value head."""


class NTupleFeatures(nn.Module):
    """[batch, ROWS, COLS] occupancy (1 filled, 0 not) to [batch, dim]: per tuple the vector of
    its pattern, summed over the tuples. The vectors start at zero (no effect at first)."""

    place_values: torch.Tensor
    """[cells, tuples] cell c's bit in tuple t's index: 2**j for its j-th cell, else 0.
    Integer, so that a bfloat16 copy of the model keeps the indices exact."""
    offsets: torch.Tensor
    """[tuples] where each tuple's rows start in the table."""

    def __init__(self, env_config: EnvConfig, dim: int) -> None:
        super().__init__()
        layout = tuple_layout(engine_tables(env_config), NTupleConfig())
        cells = env_config.ROWS * env_config.COLS
        place_values = torch.zeros(cells, len(layout.sizes), dtype=torch.int64)
        for t, size in enumerate(layout.sizes):
            for j in range(int(size)):
                place_values[int(layout.cells[t, j]), t] = 1 << j
        self.register_buffer("place_values", place_values)
        self.register_buffer("offsets", torch.from_numpy(layout.offsets.astype("int64")))
        self.table = nn.Embedding(layout.num_weights, dim)
        nn.init.zeros_(self.table.weight)

    def start_from(self, values: npt.NDArray[np.floating]) -> bool:
        """Set the first column to a trained n-tuple player's table (`values`, in points, on
        the same tuples) in hundreds of points, the rest to zero: the value head starts with
        the player's value as one of its inputs. False (nothing set) if the tuples differ."""
        if values.shape != (self.table.num_embeddings,):
            return False
        with torch.no_grad():
            self.table.weight.zero_()
            self.table.weight[:, 0] = torch.from_numpy(np.asarray(values, np.float32))
            self.table.weight[:, 0] *= VALUES_PER_UNIT
        return True

    def indices(self, occupied: torch.Tensor) -> torch.Tensor:
        """[batch, tuples] each tuple's row in the table."""
        bits = (occupied.flatten(1) > 0.5).to(torch.int64)
        index: torch.Tensor = bits @ self.place_values + self.offsets
        return index

    def forward(self, occupied: torch.Tensor) -> torch.Tensor:
        summed: torch.Tensor = self.table(self.indices(occupied)).sum(dim=1)
        return summed
