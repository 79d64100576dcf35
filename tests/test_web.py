"""`alphatriangle play --web`: the API over real HTTP on loopback, and the page in Debian's
Chromium driven by Playwright (clicks, as a person plays)."""

import http.client
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from networks import seeded_network

from alphatriangle.baselines.ntuple import WEIGHTS_KEY, NTuplePlayer, board_value, ntuple_actions
from alphatriangle.baselines.simple import game_policy_streams
from alphatriangle.config import load_run_config
from alphatriangle.data import CheckpointData, DataManager, PathManager, RunCounters
from alphatriangle.evaluation.checkpoints import NTupleAgent, load_agent, load_any_agent
from alphatriangle.evaluation.suite import evaluation_mcts, play_agent, play_suite
from alphatriangle.game import GameState
from alphatriangle.ui.replay import MovePlayed
from alphatriangle.web.agent_games import MAX_WAITING, AgentGames, AgentGamesBusyError
from alphatriangle.web.analysis import AgentSource
from alphatriangle.web.server import WebServer, bind_server, server_on

CLI = [sys.executable, "-m", "alphatriangle"]
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SEED = 20_240_003
SHARED_ANCHOR_SEED = 20_240_019
"""A first position where the agent's top moves include two at one anchor (two slots)."""


@pytest.fixture(scope="module")
def agent_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of the quick preset's small network (untrained: fast, and the page cannot
    tell)."""
    root = tmp_path_factory.mktemp("web-agent")
    config = load_run_config("quick")
    network = seeded_network(3, config.model, config.env)
    state = CheckpointData(
        run_name="web", counters=RunCounters(global_step=5), configs=config.model_dump(mode="json")
    )
    return DataManager(PathManager(root, "web")).save_checkpoint(state, network.get_weights(), {})


@contextmanager
def _running(web: WebServer) -> Iterator[WebServer]:
    """`web` serving on a thread until the block ends."""
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: bool(web.server.started), seconds=10)
        yield web
    finally:
        web.server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def server(agent_dir: Path) -> Iterator[WebServer]:
    with _running(bind_server(str(agent_dir), agent_dir.parents[3])) as web:
        yield web


@pytest.fixture
def everywhere(agent_dir: Path) -> Iterator[WebServer]:
    """The server as `--host 0.0.0.0` makes it (the names it answers to, the address it
    prints), listening on loopback only: tests send nothing outside the loopback range."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    source = AgentSource(str(agent_dir), agent_dir.parents[3])
    with _running(server_on(source, sock, "0.0.0.0")) as web:
        yield web


def _call(
    web: WebServer,
    method: str,
    path: str,
    body: object = None,
    token: str | None = None,
    host: str | None = None,
    raw: bytes | None = None,
) -> tuple[int, Any]:
    port = web.sock.getsockname()[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Host": host or f"127.0.0.1:{port}"}
    if token is not None:
        headers["X-AlphaTriangle-Token"] = token
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def test_requests_without_the_token_or_from_a_foreign_host_are_refused(server: WebServer) -> None:
    status, body = _call(server, "GET", "/")
    assert status == 403 and "token" in body["error"]
    status, body = _call(server, "GET", "/api/board", token="wrong")
    assert status == 403
    status, body = _call(server, "GET", f"/?token={server.token}", host="evil.example:80")
    assert status == 403 and "Host" in body["error"]
    status, page = _call(server, "GET", f"/?token={server.token}")
    assert status == 200 and '<svg id="board">' in page


def test_the_site_icon_is_answered_without_the_token_but_not_to_a_foreign_host(
    server: WebServer,
) -> None:
    status, icon = _call(server, "GET", "/favicon.ico")
    assert status == 200 and icon.startswith("<svg") and "polygon" in icon
    status, body = _call(server, "GET", "/favicon.ico", host="evil.example:80")
    assert status == 403 and "Host" in body["error"]


def test_bound_to_all_interfaces_it_answers_to_the_machines_own_names(
    everywhere: WebServer,
) -> None:
    """`--host 0.0.0.0`: the Host header another device sends (this machine's name), carried
    over a loopback socket, gets the page with the token and a 403 without it; a foreign
    name is refused; the printed address is one another device can open."""
    web = everywhere
    port = web.sock.getsockname()[1]
    assert "//0.0.0.0:" not in web.url and f":{port}/?token=" in web.url
    machine = f"{socket.gethostname()}:{port}"
    status, page = _call(web, "GET", f"/?token={web.token}", host=machine)
    assert status == 200 and '<svg id="board">' in page
    status, body = _call(web, "GET", "/", host=machine)
    assert status == 403 and "token" in body["error"]
    status, body = _call(web, "GET", f"/?token={web.token}", host=f"evil.example:{port}")
    assert status == 403 and "Host" in body["error"]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
def test_another_device_opens_the_page_by_the_machines_name_and_plays(
    everywhere: WebServer,
) -> None:
    """Chromium opens `http://<this machine's name>:PORT/?token=...` as a phone on the same
    network would; its resolver maps the name to 127.0.0.1, so the Host header is the
    machine's name and the traffic stays on loopback."""
    name, port = socket.gethostname(), everywhere.sock.getsockname()[1]
    engine = GameState(load_run_config("quick").env, initial_seed=7)
    with _opened_page(
        f"http://{name}:{port}/?token={everywhere.token}&seed=7", width=390, height=844,
        phone=True, chromium_args=(f"--host-resolver-rules=MAP {name} 127.0.0.1",),
    ) as (page, problems):  # fmt: skip
        _play_by_clicking(page, engine, moves=3)
        assert _board(page) == sorted(engine.occupied_cells())
    assert problems == []


def test_bad_requests_get_a_clear_error_and_leave_the_game_as_it_was(server: WebServer) -> None:
    token = server.token
    status, game = _call(server, "POST", "/api/games", {"seed": 5}, token)
    assert status == 200 and game["seed"] == 5 and game["moves"] == 0
    path = f"/api/games/{game['game_id']}"
    illegal = next(a for a in range(len(game["legal"]) + 400) if a not in game["legal"])
    cases = [
        ("POST", f"{path}/place", {"action": illegal}, 409, "not a legal move"),
        ("POST", f"{path}/place", {"action": 10**9}, 409, "outside"),
        ("POST", f"{path}/place", {"action": "3"}, 400, "whole number"),
        ("POST", f"{path}/place", {}, 400, "action is missing"),
        ("POST", f"{path}/analyse", {"simulations": 0}, 400, "simulations must be"),
        ("POST", f"{path}/undo", {}, 409, "no move to undo"),
        ("GET", "/api/games/nope", None, 404, "no game 'nope'"),
        ("POST", "/api/games", {"seed": -1}, 400, "seed -1 is outside"),
    ]
    for method, url, body, expected, message in cases:
        status, answer = _call(server, method, url, body, token)
        assert status == expected and message in answer["error"], (url, body, answer)
    status, answer = _call(server, "POST", f"{path}/place", token=token, raw=b"[1, 2")
    assert status == 400 and "JSON object" in answer["error"]
    status, answer = _call(server, "POST", f"{path}/place", token=token, raw=b" " * 10_000)
    assert status == 413
    assert _call(server, "GET", path, token=token)[1] == game


def test_the_api_plays_undoes_and_matches_the_engine(server: WebServer) -> None:
    token = server.token
    _, game = _call(server, "POST", "/api/games", {"seed": 11}, token)
    path = f"/api/games/{game['game_id']}"
    engine = GameState(load_run_config("quick").env, initial_seed=11)
    for _ in range(12):
        action = game["legal"][len(game["legal"]) // 2]
        _, preview = _call(server, "POST", f"{path}/preview", {"action": action}, token)
        before = game
        status, game = _call(server, "POST", f"{path}/place", {"action": action}, token)
        assert status == 200
        engine.step(action)
        assert [tuple(c) for c in game["occupied"]] == engine.occupied_cells()
        assert game["slots"] == engine.shape_ids() and game["score"] == engine.game_score()
        assert game["last"]["placed"] == preview["placed"]
        assert game["last"]["cleared"] == preview["cleared"]
    status, undone = _call(server, "POST", f"{path}/undo", {}, token)
    assert status == 200 and undone == before


def test_the_trace_holds_each_positions_score_and_the_agents_value(
    server: WebServer, agent_dir: Path
) -> None:
    """The chart's data: after every move the score and the network's value of the position
    reached (0 once the game is over); undo drops the last entry."""
    token = server.token
    network = load_agent(str(agent_dir)).network
    _, game = _call(server, "POST", "/api/games", {"seed": 11}, token)
    path = f"/api/games/{game['game_id']}"
    engine = GameState(load_run_config("quick").env, initial_seed=11)
    scores, values = [engine.game_score()], [network.evaluate(engine)[1]]
    while not game["over"]:
        action = game["legal"][len(game["legal"]) // 3]
        before = game
        _, game = _call(server, "POST", f"{path}/place", {"action": action}, token)
        engine.step(action)
        scores.append(engine.game_score())
        values.append(0.0 if engine.is_over() else network.evaluate(engine)[1])
        assert game["trace"]["score"] == scores
        assert game["trace"]["value"] == pytest.approx(values, abs=1e-4)
    assert values[-1] == 0.0 and len(values) == game["moves"] + 1 > 2
    _, undone = _call(server, "POST", f"{path}/undo", {}, token)
    assert undone["trace"] == before["trace"] and len(undone["trace"]["score"]) == len(scores) - 1


def _wait_for(ready: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_the_agents_game_on_a_seed_is_the_game_eval_plays_there(
    server: WebServer, agent_dir: Path
) -> None:
    token = server.token
    _, game = _call(server, "POST", "/api/games", {"seed": SEED}, token)
    path = f"/api/games/{game['game_id']}/agent-game"
    status, answer = _call(server, "POST", path, {"simulations": 0}, token)
    assert status == 400 and "simulations must be" in answer["error"]
    answers: list[dict[str, Any]] = []

    def finished() -> bool:
        status, answer = _call(server, "POST", path, {"simulations": 16}, token)
        assert status == 200 and answer["seed"] == SEED and answer["error"] is None
        answers.append(answer)
        return bool(answer["done"])

    _wait_for(finished)
    agent = load_agent(str(agent_dir))
    expected = play_agent("eval", agent.network, evaluation_mcts(agent.config, 16), [SEED],
                          agent.config.env)  # fmt: skip
    done = answers[-1]
    assert (done["score"], done["moves"]) == (expected.scores[0], expected.lengths[0])
    assert _call(server, "POST", path, {"simulations": 16}, token)[1] == done  # kept, not replayed


def test_background_games_wait_for_the_search_lock_and_are_refused_past_the_limit(
    agent_dir: Path,
) -> None:
    agent = load_agent(str(agent_dir))
    search_lock = threading.Lock()
    games = AgentGames(search_lock)
    with search_lock:  # the page is searching: no background move may start
        waiting = [games.request(agent, seed, 16) for seed in range(MAX_WAITING)]
        assert games.request(agent, 0, 16) is waiting[0]
        with pytest.raises(AgentGamesBusyError, match="ask again when one has finished"):
            games.request(agent, MAX_WAITING, 16)
        time.sleep(0.2)
        assert [game.to_json()["moves"] for game in waiting] == [0] * MAX_WAITING
    _wait_for(lambda: all(game.done for game in waiting))
    expected = play_agent("eval", agent.network, evaluation_mcts(agent.config, 16),
                          list(range(MAX_WAITING)), agent.config.env)  # fmt: skip
    assert [game.score for game in waiting] == expected.scores
    with search_lock:  # closed while a game waits for its move: it stops there, unfinished
        late = games.request(agent, MAX_WAITING, 16)
        closing = threading.Thread(target=games.close)
        closing.start()
        time.sleep(0.2)
    closing.join(timeout=60)
    assert games.thread is not None and not games.thread.is_alive()
    assert not late.done and late.moves <= 1


def _eval_moves(agent_dir: Path, seed: int, simulations: int) -> list[int]:
    agent = load_agent(str(agent_dir))
    moves: list[list[MovePlayed]] = []
    mcts = evaluation_mcts(agent.config, simulations)
    play_agent("agent", agent.network, mcts, [seed], agent.config.env, moves=moves)
    return [action for action, _ in moves[0]]


def test_the_agent_plays_on_the_page_as_eval_plays_the_same_seed(
    server: WebServer, agent_dir: Path
) -> None:
    token = server.token
    _, game = _call(server, "POST", "/api/games", {"seed": SEED}, token)
    path = f"/api/games/{game['game_id']}"
    played = []
    for _ in range(6):
        status, hint = _call(server, "POST", f"{path}/analyse", {"simulations": 16}, token)
        assert status == 200 and hint["candidates"][0]["share"] > 0
        status, game = _call(server, "POST", f"{path}/agent-move", {"simulations": 16}, token)
        assert status == 200 and game["analysis"]["move"] == hint["move"]
        played.append(hint["move"])
    assert played == _eval_moves(agent_dir, SEED, 16)[:6]


def _watch_console(page: Any) -> list[str]:
    """What a person would see in the browser's console: errors, and requests that failed."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def response(answer: Any) -> None:
        if answer.status >= 400:
            problems.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


@contextmanager
def _opened_page(
    url: str,
    width: int = 1200,
    height: int = 800,
    phone: bool = False,
    chromium_args: tuple[str, ...] = (),
) -> Iterator[tuple[Any, list[str]]]:
    """Debian's Chromium on `url` with the page ready, and the console's problems as they
    come (`_watch_console`); `phone` emulates a touch screen."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *chromium_args])
        try:
            page = browser.new_page(
                viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone
            )
            problems = _watch_console(page)
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']")
            yield page, problems
        finally:
            browser.close()


def _nth_move(state: GameState, move: int) -> int:
    """The browser tests' rule for a person's move: a fixed pick from the sorted legal list."""
    legal = sorted(state.valid_actions())
    return legal[(7 * move) % len(legal)]


def _board(page: Any) -> list[tuple[int, int]]:
    cells = page.eval_on_selector_all(
        "#board polygon.cell[data-filled='1']", "els => els.map(e => [+e.dataset.r, +e.dataset.c])"
    )
    return sorted((r, c) for r, c in cells)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
def test_a_person_plays_twenty_moves_by_clicking_and_asks_the_agent(
    server: WebServer, agent_dir: Path
) -> None:
    env = load_run_config("quick").env
    engine = GameState(env, initial_seed=7)
    with _opened_page(f"{server.url}&seed=7") as (page, problems):
        for move in range(20):
            slot, row, col = engine.decode_action(_nth_move(engine, move))
            page.keyboard.press(str(slot + 1))
            page.click(f"#board polygon.cell[data-r='{row}'][data-c='{col}']")
            page.wait_for_function(f"document.getElementById('moves').textContent === '{move + 1}'")
            engine.step(engine.encode_action(slot, row, col))
            assert _board(page) == sorted(engine.occupied_cells())
            assert page.text_content("#score") == f"{engine.game_score():g}"

        filled = sorted(engine.occupied_cells())[0]
        page.keyboard.press(
            str(next(i for i, s in enumerate(engine.shape_ids()) if s is not None) + 1)
        )
        page.click(f"#board polygon.cell[data-r='{filled[0]}'][data-c='{filled[1]}']")
        page.wait_for_function("document.getElementById('message').textContent !== ''")
        assert "does not fit" in (page.text_content("#message") or "")
        assert page.text_content("#moves") == "20" and _board(page) == sorted(
            engine.occupied_cells()
        )

        before = _board(page)
        page.click("#undo")
        page.wait_for_function("document.getElementById('moves').textContent === '19'")
        page.click("#undo")
        page.wait_for_function("document.getElementById('moves').textContent === '18'")
        replay = GameState(env, initial_seed=7)
        for action in _page_actions(engine, 7, 20)[:18]:
            replay.step(action)
        assert _board(page) == sorted(replay.occupied_cells()) and _board(page) != before

        page.fill("#seed", str(SEED))
        page.click("#new-game")
        page.wait_for_function("document.getElementById('moves').textContent === '0'")
        page.select_option("#budget", "16")
        page.click("#hint")
        page.wait_for_function("document.getElementById('board').dataset.hint !== ''")
        hint = int(page.get_attribute("#board", "data-hint") or -1)
        assert hint == _eval_moves(agent_dir, SEED, 16)[0]
        assert page.locator("#candidates tr.candidate").count() >= 1
    assert problems == []


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
def test_each_candidate_rank_is_drawn_once_where_two_share_an_anchor(server: WebServer) -> None:
    with _opened_page(f"{server.url}&seed={SHARED_ANCHOR_SEED}") as (page, problems):
        page.select_option("#budget", "16")
        page.click("#analyse")
        page.wait_for_selector("#candidates tr.candidate")
        shown = page.locator("#candidates tr.candidate").count()
        labels = page.eval_on_selector_all(
            "#marks text.rank", "els => els.map(e => [e.dataset.r, e.dataset.c, e.textContent])"
        )
        assert len({(r, c) for r, c, _ in labels}) == len(labels), labels
        ranks = sorted(int(rank) for _, _, text in labels for rank in text.split(","))
        assert ranks == list(range(1, shown + 1)), labels
    assert problems == []


def _play_by_clicking(page: Any, engine: GameState, moves: int | None = None) -> None:
    """Click legal moves (a fixed rule over the legal list) until `moves` or the game's end,
    checking the page's move count after each."""
    move = start = int(page.text_content("#moves") or 0)
    while not engine.is_over() and (moves is None or move < start + moves):
        slot, row, col = engine.decode_action(_nth_move(engine, move))
        page.click(f"#slot-{slot}")
        page.click(f"#board polygon.cell[data-r='{row}'][data-c='{col}']")
        move += 1
        page.wait_for_function(f"document.getElementById('moves').textContent === '{move}'")
        engine.step(engine.encode_action(slot, row, col))


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
@pytest.mark.parametrize("width", [360, 390])
def test_the_page_fits_a_phone_and_plays_by_tapping(server: WebServer, width: int) -> None:
    engine = GameState(load_run_config("quick").env, initial_seed=7)
    url = f"{server.url}&seed=7"
    with _opened_page(url, width=width, height=844, phone=True) as (page, problems):
        _play_by_clicking(page, engine, moves=3)
        assert _board(page) == sorted(engine.occupied_cells())
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for selector in ["#board", "#slot-0", "#slot-1", "#slot-2", "#chart", "#new-game",
                         "#budget", "#agent-move", "#candidates"]:  # fmt: skip
            box = page.locator(selector).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, selector
    assert problems == []


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
def test_at_the_end_the_page_shows_the_agents_score_on_the_seed_and_the_chart(
    server: WebServer, agent_dir: Path
) -> None:
    agent = load_agent(str(agent_dir))
    expected = play_agent("eval", agent.network, evaluation_mcts(agent.config, 16), [5],
                          agent.config.env)  # fmt: skip
    engine = GameState(agent.config.env, initial_seed=5)
    with _opened_page(f"{server.url}&seed=5") as (page, problems):
        page.select_option("#budget", "16")
        _play_by_clicking(page, engine, moves=4)
        assert page.get_attribute("#chart", "data-points") == "5"
        assert page.text_content("#versus") == ""
        _play_by_clicking(page, engine)
        page.wait_for_function("document.getElementById('versus').dataset.score !== undefined")
        versus = page.text_content("#versus") or ""
        assert float(page.get_attribute("#versus", "data-score") or "nan") == expected.scores[0]
        assert f"at 16 simulations ({expected.lengths[0]} moves)" in versus
        assert versus.endswith(f"this game: {engine.game_score():g}")
        moves = int(page.text_content("#moves") or 0)
        assert page.get_attribute("#chart", "data-points") == str(moves + 1)
        assert page.locator("#chart polyline").count() == 2
        assert f"score {engine.game_score():g}" in (page.text_content("#chart-caption") or "")
    assert problems == []


def _page_actions(engine: GameState, seed: int, moves: int) -> list[int]:
    """The actions the page test played (the same rule, replayed from the seed)."""
    state = GameState(engine.config, initial_seed=seed)
    actions = []
    for move in range(moves):
        action = _nth_move(state, move)
        state.step(action)
        actions.append(action)
    return actions


def test_play_web_prints_its_address_and_serves_the_page(agent_dir: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*CLI, "play", "--web", "--agent", str(agent_dir), "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("AlphaTriangle at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].strip()
        hostport, query = url.removeprefix("http://").split("/?")
        conn = http.client.HTTPConnection(hostport, timeout=60)
        conn.request("GET", f"/?{query}")
        response = conn.getresponse()
        assert response.status == 200 and b"AlphaTriangle" in response.read()
        conn.request("GET", "/")
        assert conn.getresponse().status == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_run_as_the_agent_follows_its_newest_checkpoint(tmp_path: Path) -> None:
    config = load_run_config("quick")
    manager = DataManager(PathManager(tmp_path, "live"))

    def save(step: int) -> None:
        network = seeded_network(step, config.model, config.env)
        state = CheckpointData(
            run_name="live", counters=RunCounters(global_step=step),
            configs=config.model_dump(mode="json"),
        )  # fmt: skip
        manager.save_checkpoint(state, network.get_weights(), {})

    save(5)
    source = AgentSource("live", tmp_path)
    assert source.follows_run and source.current().global_step == 5
    save(10)
    assert source.current().global_step == 10 and source.current().name == "live@10"
    (manager.paths.step_dir(20)).mkdir(parents=True)
    (manager.paths.pointer("latest")).write_text('{"step_dir": "step_000000020"}')
    assert source.current().global_step == 10  # a damaged newer checkpoint: the old one stays


@pytest.fixture(scope="module")
def ntuple_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of an n-tuple player with random weights (the page cannot tell)."""
    root = tmp_path_factory.mktemp("web-ntuple")
    config = load_run_config("ntuple")
    empty = NTuplePlayer.empty(config.env, config.ntuple)
    weights = np.random.default_rng(4).uniform(0, 2, empty.weights.shape).astype(np.float32)
    state = CheckpointData(
        run_name="tuples", counters=RunCounters(global_step=9),
        configs=config.model_dump(mode="json"),
    )  # fmt: skip
    manager = DataManager(PathManager(root, "tuples"))
    return manager.save_checkpoint(state, {WEIGHTS_KEY: weights}, {})


@pytest.fixture(scope="module")
def ntuple_server(ntuple_dir: Path) -> Iterator[WebServer]:
    with _running(bind_server(str(ntuple_dir), ntuple_dir.parents[3])) as web:
        yield web


def test_an_ntuple_player_analyses_plays_and_plays_its_own_game_on_the_page_api(
    ntuple_server: WebServer, ntuple_dir: Path
) -> None:
    web, token = ntuple_server, ntuple_server.token
    status, board = _call(web, "GET", "/api/board", token=token)
    assert status == 200 and board["budget_name"] == "beam" and board["budgets"] == [8, 32, 128]
    _, game = _call(web, "POST", "/api/games", {"seed": SEED}, token)
    path = f"/api/games/{game['game_id']}"
    status, answer = _call(web, "POST", f"{path}/analyse", {"simulations": 300}, token)
    assert status == 400 and "beam width must be" in answer["error"]
    status, analysis = _call(web, "POST", f"{path}/analyse", {"simulations": 8}, token)
    assert status == 200 and analysis["kind"] == "ntuple", analysis
    worths = [c["q"] for c in analysis["candidates"]]
    assert worths == sorted(worths, reverse=True) and len(worths) == 5
    agent = load_any_agent(str(ntuple_dir))
    assert isinstance(agent, NTupleAgent)
    engine = GameState(agent.config.env, initial_seed=SEED)
    assert analysis["move"] in engine.valid_actions()
    # The page's value is what the best sequence of the hand is worth; the table's, the board's.
    assert analysis["network_value"] == pytest.approx(
        board_value(agent.player, engine.batch), rel=1e-6
    )
    assert worths[0] >= analysis["value"] - 1e-3  # each first move gets a beam of its own
    status, moved = _call(web, "POST", f"{path}/agent-move", {"simulations": 8}, token)
    assert status == 200 and moved["moves"] == 1
    assert len(moved["trace"]["value"]) == 2 and moved["trace"]["value"][0] > 0

    answers: list[dict[str, Any]] = []

    def finished() -> bool:
        status, answer = _call(web, "POST", f"{path}/agent-game", {"simulations": 8}, token)
        assert status == 200 and answer["error"] is None, answer
        answers.append(answer)
        return bool(answer["done"])

    _wait_for(finished)
    rng = game_policy_streams([SEED])
    expected = play_suite(
        "eval", [SEED], lambda b: ntuple_actions(b, rng, agent.player, 8), agent.config.env
    )
    assert (answers[-1]["score"], answers[-1]["moves"]) == (expected.scores[0], expected.lengths[0])


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
def test_the_page_shows_an_ntuple_players_beam_and_best_moves(ntuple_server: WebServer) -> None:
    with _opened_page(f"{ntuple_server.url}&seed=7") as (page, problems):
        assert page.text_content("#budget-name") == "beam"
        assert page.input_value("#budget") == "32"
        page.click("#analyse")
        page.wait_for_selector("#candidates tr.candidate")
        assert page.text_content("#candidates tr th:nth-child(3)") == "worth"
        values = page.text_content("#values") or ""
        assert "tuples@9, a beam of 32: value" in values and "(table " in values
        page.click("#agent-move")
        page.wait_for_function("document.getElementById('moves').textContent === '1'")
    assert problems == []
