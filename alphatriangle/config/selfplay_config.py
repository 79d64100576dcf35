"""Self-play settings: the workers, how they run the network and search, and the planner's
warm start."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

InferenceBackend = Literal["auto", "onnx", "torch", "bf16"]
"""How `NeuralNetwork.evaluate_arrays` runs the model: `onnx` (ONNX Runtime on the folded
copy), `torch` (the folded copy in torch), `bf16` (the folded copy in bfloat16, for CPUs
with native bfloat16 arithmetic such as AVX-512 BF16 or AMX), `auto` (ONNX Runtime on a CPU
when installed)."""


class SelfPlayConfig(BaseModel):
    """How a run generates its games (the search itself is the `mcts` section)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    WORKERS: int = Field(
        description="Self-play actors (capped at the CPUs minus one on a machine).", default=2, ge=1
    )
    GAMES_PER_WORKER: int = Field(
        default=32, ge=1, description="Games each worker plays at once (one batched search)."
    )
    INFERENCE_BACKEND: InferenceBackend = Field(
        default="auto",
        description="How self-play and evaluation run the network: onnx (ONNX Runtime on a "
        "folded copy, rebuilt when weights change; CPU only), torch, bf16 (the folded copy in "
        "bfloat16, for GPUs and for CPUs with AVX-512 BF16 or AMX), or auto (bf16 on CUDA and "
        "on a CPU with AMX, else onnx when onnxruntime is installed).",
    )
    DEVICE: str = Field(
        description="Where self-play workers run their network: cpu, cuda, or auto (CUDA when "
        "present). The laptop network is fastest on the CPU (ONNX Runtime); larger ones need "
        "the GPU.",
        default="cpu",
        pattern=r"^(auto|cpu|cuda(:\d+)?)$",
    )
    PLAYOUT_CAP_FULL_FRACTION: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Share of self-play moves searched with mcts.NUM_SIMULATIONS; the others "
        "get PLAYOUT_CAP_CHEAP_SIMULATIONS and give no training example (KataGo's playout "
        "cap randomisation). 1: every move is a full search.",
    )
    PLAYOUT_CAP_CHEAP_SIMULATIONS: int = Field(
        default=8,
        ge=1,
        description="Simulations of a cheap self-play move (at most mcts.NUM_SIMULATIONS).",
    )
    KEEP_TREES_ON_WEIGHT_UPDATE: bool = Field(
        default=False,
        description="New weights keep self-play's search trees (their roots re-evaluated by "
        "the new network) instead of dropping them.",
    )
    WEIGHT_UPDATE_FREQ_STEPS: int = Field(
        description="Steps between weight broadcasts to the workers.", default=50, ge=1
    )
    PLANNER_WARM_START_STEPS: int = Field(
        default=0,
        ge=0,
        description="Until this training step, new self-play games are played by the planner "
        "(the `planner` section) instead of the search: its moves are the policy targets and "
        "its games' discounted returns the value targets. A teacher about ten times faster "
        "than the search for a run's first minutes; 0 is self-play only.",
    )
    WARM_START_PLAYER: Literal["planner", "ntuple"] = Field(
        default="planner",
        description="Who plays the warm-start games (PLANNER_WARM_START_STEPS): the planner, or "
        "an n-tuple player (the `ntuple` section) that the run first learns by TD self-play "
        "for NTUPLE_WARM_START_MINUTES of its time budget, on every core.",
    )
    WARM_START_HANDOVER_STEPS: int = Field(
        default=0,
        ge=0,
        description="After PLANNER_WARM_START_STEPS, a new game is still the warm-start "
        "player's with a probability falling linearly from 1 to 0 over this many training "
        "steps, a gradual handover to the search; 0 hands over at once.",
    )
    NTUPLE_WARM_START_MINUTES: float = Field(
        default=4.0,
        gt=0,
        description="Minutes of the run spent learning the n-tuple warm-start player "
        "(WARM_START_PLAYER=ntuple), before the first self-play game.",
    )
    N_STEP_RETURNS: int = Field(
        default=10, ge=1, description="Rewards summed before bootstrapping."
    )

    def teacher_share(self, step: int) -> float:
        """The probability that a game begun at training step `step` is the warm-start
        player's: 1 before PLANNER_WARM_START_STEPS, then falling linearly to 0 over
        WARM_START_HANDOVER_STEPS."""
        past = step - self.PLANNER_WARM_START_STEPS
        if past < 0:
            return 1.0
        if past >= self.WARM_START_HANDOVER_STEPS:
            return 0.0
        return 1.0 - past / self.WARM_START_HANDOVER_STEPS

    @property
    def teacher_end_step(self) -> int:
        """The first training step from which no new game is the warm-start player's."""
        return self.PLANNER_WARM_START_STEPS + self.WARM_START_HANDOVER_STEPS
