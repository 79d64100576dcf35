"""`alphatriangle play --web`: the API over real HTTP on loopback, and the page in Debian's
Chromium driven by Playwright (clicks, as a person plays)."""

import http.client
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from networks import seeded_network

from alphatriangle.config import load_run_config
from alphatriangle.data import CheckpointData, DataManager, PathManager, RunCounters
from alphatriangle.evaluation.checkpoints import load_agent
from alphatriangle.evaluation.suite import evaluation_mcts, play_agent
from alphatriangle.game import GameState
from alphatriangle.ui.replay import MovePlayed
from alphatriangle.web.analysis import AgentSource
from alphatriangle.web.server import WebServer, bind_server

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


@pytest.fixture(scope="module")
def server(agent_dir: Path) -> Iterator[WebServer]:
    web = bind_server(str(agent_dir), agent_dir.parents[3])
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    for _ in range(200):
        if web.server.started:
            break
        threading.Event().wait(0.05)
    assert web.server.started
    yield web
    web.server.should_exit = True
    thread.join(timeout=30)


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


def test_bound_to_all_interfaces_it_answers_to_the_machines_own_names(agent_dir: Path) -> None:
    """`--host 0.0.0.0`: the Host header another device sends (this machine's name), carried
    over a loopback socket, gets the page with the token and a 403 without it; a foreign
    name is refused; the printed address is one another device can open."""
    web = bind_server(str(agent_dir), agent_dir.parents[3], host="0.0.0.0")
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if web.server.started:
                break
            threading.Event().wait(0.05)
        port = web.sock.getsockname()[1]
        assert "//0.0.0.0:" not in web.url and f":{port}/?token=" in web.url
        machine = f"{socket.gethostname()}:{port}"
        status, page = _call(web, "GET", f"/?token={web.token}", host=machine)
        assert status == 200 and '<svg id="board">' in page
        status, body = _call(web, "GET", "/", host=machine)
        assert status == 403 and "token" in body["error"]
        status, body = _call(web, "GET", f"/?token={web.token}", host=f"evil.example:{port}")
        assert status == 403 and "Host" in body["error"]
    finally:
        web.server.should_exit = True
        thread.join(timeout=30)


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


def _board(page: Any) -> list[tuple[int, int]]:
    cells = page.eval_on_selector_all(
        "#board polygon.cell[data-filled='1']", "els => els.map(e => [+e.dataset.r, +e.dataset.c])"
    )
    return sorted((r, c) for r, c in cells)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
def test_a_person_plays_twenty_moves_by_clicking_and_asks_the_agent(
    server: WebServer, agent_dir: Path
) -> None:
    from playwright.sync_api import sync_playwright

    env = load_run_config("quick").env
    engine = GameState(env, initial_seed=7)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(f"{server.url}&seed=7")
        page.wait_for_selector("body[data-ready='1']")
        for move in range(20):
            legal = sorted(engine.valid_actions())
            slot, row, col = engine.decode_action(legal[(7 * move) % len(legal)])
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
        assert "not a legal move" in (page.text_content("#message") or "")
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

        page.goto(f"{server.url}&seed={SHARED_ANCHOR_SEED}")
        page.wait_for_selector("body[data-ready='1']")
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
        browser.close()


def _page_actions(engine: GameState, seed: int, moves: int) -> list[int]:
    """The actions the page test played (the same rule, replayed from the seed)."""
    state = GameState(engine.config, initial_seed=seed)
    actions = []
    for move in range(moves):
        legal = sorted(state.valid_actions())
        action = legal[(7 * move) % len(legal)]
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
