"""Which machine a figure comes from: the CPU, its cores and the kernels' instruction set."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alphatriangle.utils import machine


def test_the_cpu_and_its_bfloat16_come_from_cpuinfo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t\t: fpu avx2 avx512f amx_bf16\n"
        "\nprocessor\t: 1\nmodel name\t: Test CPU 9000\nflags\t\t: fpu avx2 avx512f amx_bf16\n"
    )
    monkeypatch.setattr(machine, "CPUINFO", str(cpuinfo))
    assert machine.cpu_model() == "Test CPU 9000"
    assert machine.cpu_flags() == {"fpu", "avx2", "avx512f", "amx_bf16"}
    assert machine.cpu_has_amx() and machine.cpu_has_native_bf16()
    info = machine.machine_info()
    assert (info["processor"], info["native_bf16"], info["avx512"], info["amx"]) == (
        "Test CPU 9000",
        True,
        True,
        True,
    )
    cpuinfo.write_text("model name\t: Older CPU\nflags\t\t: fpu avx2 fma\n")
    info = machine.machine_info()
    assert (info["native_bf16"], info["avx512"], info["amx"]) == (False, False, False)
    assert machine.machine_line({**info, "cpus": 2, "vector_isa": "AVX2"}) == (
        "Older CPU, 2 CPUs, AVX2 kernels, no native bfloat16"
    )
    monkeypatch.setattr(machine, "CPUINFO", str(tmp_path / "missing"))
    assert machine.cpu_flags() == set() and not machine.cpu_has_native_bf16()


def test_the_instruction_set_is_the_one_torch_dispatches_to() -> None:
    """`ATEN_CPU_CAPABILITY` lowers torch's kernels; the record follows it."""
    script = "import json; from alphatriangle.utils.machine import machine_info as m; "
    script += "print(json.dumps(m()))"
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads(proc.stdout)
    assert info["vector_isa"] == "DEFAULT" and info["cpus"] == os.cpu_count()
