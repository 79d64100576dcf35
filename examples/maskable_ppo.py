"""Train sb3-contrib's MaskablePPO on AlphaTriangle-v0 and score it as `alphatriangle eval` does.

    pip install -e '.[examples]'        # or: make examples
    python examples/maskable_ppo.py --timesteps 200000 --games 100

No wrapper is written here: `AlphaTriangle-v0` has the `action_masks()` method that
MaskablePPO asks for, and its `features` observation is the AlphaZero network's own input.
The reward is the game score / 10 (as the project's laptop preset trains on). The trained
policy then plays the default evaluation seeds (the first `--games` of them) beside the
planner, greedy and random baselines, with paired 95% confidence intervals.
"""

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from sb3_contrib import MaskablePPO
from stable_baselines3.common.env_util import make_vec_env

import alphatriangle.envs.env as game_env
from alphatriangle.config import EnvConfig
from alphatriangle.config.run_config import SCORE_REWARDS
from alphatriangle.evaluation.eval_command import BASELINE_ORDER, results_table
from alphatriangle.evaluation.suite import default_seeds, play_baseline, play_suite
from alphatriangle.features import FeatureExtractor
from alphatriangle.game import GameBatch


def ppo_chooser(model: MaskablePPO, env: EnvConfig) -> Any:
    """The policy's most likely legal move in every game of a batch."""
    features = FeatureExtractor(env)

    def choose(batch: GameBatch) -> npt.NDArray[np.int64]:
        board, other = features.extract(batch.occ, batch.shapes)
        masks = batch.legal_mask()
        masks[batch.done] = True
        actions, _ = model.predict(
            {"board": board, "other": other}, action_masks=masks, deterministic=True
        )
        return np.asarray(actions, dtype=np.int64)

    return choose


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=200_000, help="PPO environment steps.")
    parser.add_argument("--envs", type=int, default=8, help="Games played at once.")
    parser.add_argument("--games", type=int, default=100, help="Evaluation games.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, default=None, help="Save the trained model here.")
    args = parser.parse_args(argv)
    if args.timesteps < 1 or args.envs < 1 or args.games < 1:
        sys.stderr.write("error: --timesteps, --envs and --games must be at least 1\n")
        return 2

    env_config = EnvConfig(**SCORE_REWARDS)
    vec_env = make_vec_env(
        game_env.ENV_ID,
        n_envs=args.envs,
        seed=args.seed,
        # render_mode: make_vec_env asks for "rgb_array" unless told; this env renders text.
        env_kwargs={"config": env_config, "observation": "features", "render_mode": None},
    )
    model = MaskablePPO(
        "MultiInputPolicy",
        vec_env,
        n_steps=max(16, min(256, args.timesteps // args.envs)),
        batch_size=64,
        seed=args.seed,
        verbose=0,
        device="cpu",
    )
    started = time.perf_counter()
    model.learn(total_timesteps=args.timesteps)
    console = Console()
    console.print(
        f"MaskablePPO: {model.num_timesteps:,} steps in {time.perf_counter() - started:.0f} s"
    )
    if args.save is not None:
        model.save(args.save)

    seeds = default_seeds(args.games)
    agent = play_suite("maskable_ppo", seeds, ppo_chooser(model, env_config), env_config)
    results = [agent, *(play_baseline(name, seeds, env_config) for name in BASELINE_ORDER)]
    console.print(results_table(results, agent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
