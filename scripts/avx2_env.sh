# Source this (after activating .venv) to run on AVX2 code paths on a CPU with AVX-512:
# torch's ATen kernels, oneDNN and numba's LLVM target, as an AVX2-only CPU would run them.
# ONNX Runtime's MLAS picks its kernels from CPUID and has no switch: it still uses AVX-512.
# Train in float32 too (`--set train.CPU_BF16_TRAINING=false`), as `auto` does without bfloat16.
export ATEN_CPU_CAPABILITY=avx2
export ONEDNN_MAX_CPU_ISA=AVX2
export NUMBA_CPU_NAME=haswell
NUMBA_CPU_FEATURES="$(python - <<'PY'
import llvmlite.binding as ll

features = ll.get_host_cpu_features()
wide = ("avx512", "amx", "avxvnni", "avxifma", "avxneconvert", "avx10", "evex512", "vaes", "gfni",
        "vpclmulqdq")
for name in list(features):
    if name.startswith(wide):
        features[name] = False
print(features.flatten())
PY
)"
export NUMBA_CPU_FEATURES
