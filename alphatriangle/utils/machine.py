"""Which machine a figure comes from: the CPU, its cores and the instructions the kernels use."""

import os
import platform
import time
from typing import Any

CPUINFO = "/proc/cpuinfo"
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
"""Linux's flags for bfloat16 arithmetic in hardware."""
AMX_FLAG = "amx_bf16"
"""Linux's flag for AMX's bfloat16 tile multiply (oneDNN's fastest CPU kernels)."""


def _cpuinfo_field(name: str) -> str | None:
    """The first value of `name` in /proc/cpuinfo (Linux), else None."""
    try:
        with open(CPUINFO) as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        return None
    return None


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux lists them (empty elsewhere)."""
    return set((_cpuinfo_field("flags") or "").split())


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes in bfloat16 natively (Linux: the avx512_bf16 or amx_bf16
    flag); elsewhere bfloat16 is emulated and slower than float32."""
    return bool(cpu_flags() & BF16_FLAGS)


def cpu_has_amx() -> bool:
    """Whether this CPU multiplies bfloat16 tiles in AMX (Linux: the amx_bf16 flag), where
    bfloat16 inference outruns ONNX Runtime's float32 at search batches."""
    return AMX_FLAG in cpu_flags()


def cpu_model() -> str:
    """The CPU's model name (Linux), else what `platform` knows."""
    return _cpuinfo_field("model name") or platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """The machine behind a benchmark or a run: `vector_isa` is the instruction set torch's
    kernels dispatch to (`ATEN_CPU_CAPABILITY` lowers it), `native_bf16` whether the CPU has
    bfloat16 arithmetic, which the trainer's `CPU_BF16_TRAINING=auto` follows, `amx` whether
    it has AMX tiles, which `INFERENCE_BACKEND=auto` follows."""
    import numpy as np
    import torch

    flags = cpu_flags()
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": cpu_model(),
        "cpus": os.cpu_count(),
        "vector_isa": torch.backends.cpu.get_cpu_capability(),
        "native_bf16": bool(flags & BF16_FLAGS),
        "avx512": "avx512f" in flags,
        "amx": AMX_FLAG in flags,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def machine_line(info: dict[str, Any]) -> str:
    """`machine_info` in a line: `AMD EPYC, 2 CPUs, AVX512 kernels, native bfloat16`."""
    bf16 = "native bfloat16" if info["native_bf16"] else "no native bfloat16"
    return f"{info['processor']}, {info['cpus']} CPUs, {info['vector_isa']} kernels, {bf16}"
