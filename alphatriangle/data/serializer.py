"""Safe, atomic storage: safetensors, npz without pickle, JSON, `torch.load(weights_only=True)`.

Nothing loaded here can run code. Every file is written to a temporary name, flushed to
disk and renamed over the old one, so a crash mid-save leaves the previous file intact.
"""

import io
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from alphatriangle.data.schemas import BufferData


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    """The process's umask, read without changing it (`os.umask` sets it process-wide, a race
    with other threads creating files); 0o022 where /proc does not say."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step (temp file, fsync, rename), with the permissions
    a plain `open` would give it (the temp file starts owner-only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_json(path: Path, payload: Any, compact: bool = False) -> None:
    """Indented JSON, or with `compact` one line without spaces (large checkpoint states)."""
    if compact:
        text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    else:
        text = json.dumps(payload, indent=2, sort_keys=True)
    atomic_write_bytes(path, (text + "\n").encode())


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def weights_to_bytes(weights: Mapping[str, npt.NDArray[np.generic]]) -> bytes:
    return save_safetensors({k: np.array(v, order="C") for k, v in weights.items()})


def weights_from_bytes(data: bytes) -> dict[str, npt.NDArray[np.generic]]:
    return dict(load_safetensors(data))


def torch_state_to_bytes(state: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def torch_state_from_bytes(data: bytes) -> dict[str, Any]:
    """Tensors and plain containers only (`weights_only=True`): no code runs."""
    state: dict[str, Any] = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    return state


BOOTSTRAP_ARRAYS = ("reward_sum", "bootstrap_discount", "bootstrap_occ", "bootstrap_shapes")
"""Buffer arrays a file may lack (saved before value targets could be refreshed)."""


def buffer_to_bytes(data: BufferData) -> bytes:
    out = io.BytesIO()
    bootstrap = {name: getattr(data, name) for name in BOOTSTRAP_ARRAYS}
    np.savez(
        out,
        board=data.board,
        other=data.other,
        policy=data.policy,
        value=data.value,
        **{name: array for name, array in bootstrap.items() if array is not None},
        priorities=data.priorities,
        counters=np.array([data.position, data.size, data.global_step], dtype=np.int64),
        max_priority=np.array([data.max_priority], dtype=np.float64),
    )
    return out.getvalue()


def buffer_from_file(path: Path) -> BufferData:
    with np.load(path, allow_pickle=False) as npz:
        counters = [int(x) for x in npz["counters"]]
        position, size = counters[:2]
        return BufferData(
            board=npz["board"],
            other=npz["other"],
            policy=npz["policy"],
            value=npz["value"],
            position=position,
            size=size,
            priorities=npz["priorities"],
            max_priority=float(npz["max_priority"][0]),
            global_step=counters[2] if len(counters) > 2 else -1,
            **{name: npz[name] if name in npz.files else None for name in BOOTSTRAP_ARRAYS},
        )


class Serializer:
    """Reads and writes each kind of run data in its safe format, atomically."""

    def save_weights(self, path: Path, weights: Mapping[str, npt.NDArray[np.generic]]) -> None:
        atomic_write_bytes(path, weights_to_bytes(weights))

    def load_weights(self, path: Path) -> dict[str, npt.NDArray[np.generic]]:
        return weights_from_bytes(path.read_bytes())

    def save_torch_state(self, path: Path, state: dict[str, Any]) -> None:
        atomic_write_bytes(path, torch_state_to_bytes(state))

    def load_torch_state(self, path: Path) -> dict[str, Any]:
        return torch_state_from_bytes(path.read_bytes())

    def save_json(self, path: Path, payload: Any, compact: bool = False) -> None:
        atomic_write_json(path, payload, compact)

    def load_json(self, path: Path) -> Any:
        return read_json(path)

    def save_buffer(self, path: Path, data: BufferData) -> None:
        atomic_write_bytes(path, buffer_to_bytes(data))

    def load_buffer(self, path: Path) -> BufferData:
        return buffer_from_file(path)
