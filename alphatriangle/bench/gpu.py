"""The GPU's utilisation and memory while a benchmark runs, read from `nvidia-smi`."""

import shutil
import subprocess
import threading
from dataclasses import dataclass
from types import TracebackType

SAMPLE_SECONDS = 0.5


@dataclass(frozen=True)
class GpuSample:
    """One reading of one GPU."""

    utilisation_percent: float
    memory_used_mib: float


def parse_gpu_samples(text: str) -> list[GpuSample]:
    """The readings in `nvidia-smi --query-gpu=utilization.gpu,memory.used
    --format=csv,noheader,nounits` output: one line per GPU, "87, 15451"."""
    samples = []
    for line in text.strip().splitlines():
        utilisation, memory = (field.strip() for field in line.split(","))
        samples.append(GpuSample(float(utilisation), float(memory)))
    return samples


class GpuSampler:
    """Reads every GPU each `SAMPLE_SECONDS` in a thread between `__enter__` and `__exit__`;
    `summary()` is empty where there is no `nvidia-smi`."""

    def __init__(self) -> None:
        self.command = shutil.which("nvidia-smi")
        self.samples: list[list[GpuSample]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _read(self) -> list[GpuSample]:
        assert self.command is not None
        query = "--query-gpu=utilization.gpu,memory.used"
        result = subprocess.run(
            [self.command, query, "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return parse_gpu_samples(result.stdout) if result.returncode == 0 else []

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            reading = self._read()
            if reading:
                self.samples.append(reading)

    def __enter__(self) -> "GpuSampler":
        if self.command is not None:
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def summary(self) -> dict[str, float]:
        """Mean utilisation and peak memory per GPU over the readings (empty without any)."""
        if not self.samples:
            return {}
        summary: dict[str, float] = {}
        for gpu in range(len(self.samples[0])):
            readings = [sample[gpu] for sample in self.samples if len(sample) > gpu]
            mean = sum(r.utilisation_percent for r in readings) / len(readings)
            summary[f"gpu{gpu}_utilisation_percent_mean"] = mean
            summary[f"gpu{gpu}_memory_mib_max"] = max(r.memory_used_mib for r in readings)
        return summary
