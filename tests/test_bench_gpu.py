"""The GPU readings of `bench selfplay`: nvidia-smi's CSV, and a sampler where there is none."""

import shutil

import pytest

from alphatriangle.bench.gpu import GpuSample, GpuSampler, parse_gpu_samples


def test_nvidia_smi_lines_are_read_per_gpu() -> None:
    text = "87, 15451\n3, 1024\n"
    assert parse_gpu_samples(text) == [GpuSample(87.0, 15451.0), GpuSample(3.0, 1024.0)]


def test_the_summary_is_the_mean_utilisation_and_peak_memory() -> None:
    sampler = GpuSampler()
    readings = [(80.0, 1000.0), (90.0, 3000.0), (100.0, 2000.0)]
    sampler.samples = [[GpuSample(*reading)] for reading in readings]
    assert sampler.summary() == {
        "gpu0_utilisation_percent_mean": 90.0,
        "gpu0_memory_mib_max": 3000.0,
    }


def test_without_nvidia_smi_nothing_is_sampled() -> None:
    if shutil.which("nvidia-smi") is not None:
        pytest.skip("this machine has nvidia-smi: its readings are checked by bench selfplay")
    with GpuSampler() as sampler:
        pass
    assert sampler.summary() == {}
