"""Work that compiles the numba kernels into numba's cache (beside their sources), in three
groups the test session's processes share; `python tests/kernels.py` does it all before the
tests (`make test` runs it beside the type check)."""

from collections.abc import Callable


def _warm_up_baselines() -> None:
    from alphatriangle.config import EnvConfig
    from alphatriangle.evaluation.suite import play_baseline

    for policy in ("random", "greedy", "planner"):
        play_baseline(policy, [1], EnvConfig())


def _warm_up_search() -> None:
    from alphatriangle.config import load_run_config
    from alphatriangle.evaluation.suite import evaluation_mcts, play_agent
    from alphatriangle.nn import NeuralNetwork

    config = load_run_config("quick")
    network = NeuralNetwork(config.model, config.env, device="cpu")
    for root in ("gumbel", "puct"):
        mcts = evaluation_mcts(config, 4).model_copy(update={"ROOT_SELECTION": root})
        play_agent("warm-up", network, mcts, [1], config.env)


def _warm_up_environments() -> None:
    import numpy as np

    from alphatriangle.config import EnvConfig
    from alphatriangle.envs.vector_env import AlphaTriangleVectorEnv
    from alphatriangle.game import GameState

    state = GameState(EnvConfig(), initial_seed=1)
    state.step(min(state.valid_actions()))
    vector = AlphaTriangleVectorEnv(2, EnvConfig())
    vector.reset(seed=1)
    vector.step(np.argmax(vector.action_masks(), axis=1))


KERNEL_GROUPS: dict[str, Callable[[], None]] = {
    "search": _warm_up_search,
    "baselines": _warm_up_baselines,
    "environments": _warm_up_environments,
}


if __name__ == "__main__":
    for work in KERNEL_GROUPS.values():
        work()
