"""The page's server: a Starlette app with a JSON API over the games and the agent's search.

Safe by default: every request needs the server's token (`?token=` on the page, the
`X-AlphaTriangle-Token` header on API calls) and a Host header naming the server itself (no
DNS rebinding); bodies are small JSON objects; the client never names a file. A bad request
gets `{"error": "..."}` with its status and leaves the game as it was. Searches run on a
worker thread, one at a time, so the page stays responsive while the agent thinks. The one
exception to the token is the site icon, which browsers fetch without the page's query.
"""

import json
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from alphatriangle.baselines.ntuple import position_value
from alphatriangle.baselines.simple import game_policy_streams
from alphatriangle.evaluation.checkpoints import NTupleAgent
from alphatriangle.game import GameState
from alphatriangle.web.agent_games import AgentGames, AgentGamesBusyError
from alphatriangle.web.analysis import (
    AgentSource,
    Analysis,
    analyst_for,
    check_budget,
    search_budgets,
)
from alphatriangle.web.sessions import GameSession, MoveError, SessionStore, board_json

TOKEN_HEADER = "x-alphatriangle-token"
MAX_BODY_BYTES = 4096
ICON_PATH = "/favicon.ico"
ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<polygon points="16,3 30,28 2,28" fill="#3b82f6"/>'
    '<polygon points="16,15 23,28 9,28" fill="#f59e0b"/></svg>'
)
"""The site icon: a blue triangle with an amber one in it (browsers ask for it unbidden)."""


class RequestError(Exception):
    """A request the API refuses: its HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Guard:
    """ASGI middleware: the Host header must name this server and the token must match;
    anything else is a 403 before a route sees it."""

    def __init__(self, app: ASGIApp, token: str, hosts: set[str]) -> None:
        self.app = app
        self.token = token
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = headers.get(TOKEN_HEADER) or (query.get("token") or [""])[0]
        if headers.get("host", "").lower() not in self.hosts:
            reason = "this server answers to its own address only (Host header refused)"
        elif scope["path"] == ICON_PATH:
            await Response(ICON, media_type="image/svg+xml")(scope, receive, send)
            return
        elif not secrets.compare_digest(given.encode(), self.token.encode()):
            reason = "a valid token is needed: open the URL the server printed"
        else:
            await self.app(scope, receive, send)
            return
        await JSONResponse({"error": reason}, status_code=403)(scope, receive, send)


async def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object (empty if there is no body)."""
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        raise RequestError(413, f"the body must be a JSON object of at most {MAX_BODY_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise RequestError(413, f"the body must be a JSON object of at most {MAX_BODY_BYTES} bytes")
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise RequestError(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise RequestError(400, "the body must be a JSON object")
    return body


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = body.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise RequestError(400, f"{name} must be a whole number, got {value!r}")
    return value


def _required_int(body: dict[str, Any], name: str) -> int:
    value = _int(body, name)
    if value is None:
        raise RequestError(400, f"{name} is missing")
    return value


Handler = Callable[[Request], Awaitable[Response]]


def _json_errors(handler: Handler) -> Handler:
    """Turn the API's refusals into `{"error": ...}` responses with their status."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except RequestError as error:
            return JSONResponse({"error": str(error)}, status_code=error.status)
        except MoveError as error:
            return JSONResponse({"error": str(error)}, status_code=409)
        except AgentGamesBusyError as error:
            return JSONResponse({"error": str(error)}, status_code=429)

    return wrapped


class WebApp:
    """The routes, over one `SessionStore` and one `AgentSource`."""

    def __init__(self, source: AgentSource) -> None:
        self.source = source
        self.env = source.current().config.env
        self.search_lock = threading.Lock()
        """One search at a time: they share the network and the machine."""
        self.store = SessionStore(self.env, self._value_of)
        self.agent_games = AgentGames(self.search_lock)

    def _value_of(self, state: GameState) -> float:
        """The agent's value of `state` (for the page's chart): its network's, or what the
        n-tuple player's best sequence of the hand is worth there."""
        agent = self.source.current()
        with self.search_lock:
            if isinstance(agent, NTupleAgent):
                rng = game_policy_streams([None])
                beam = agent.config.ntuple.BEAM_WIDTH
                return position_value(agent.player, state.batch, rng, beam)
            return float(agent.network.evaluate(state)[1])

    def _session(self, request: Request) -> GameSession:
        game_id = request.path_params["game_id"]
        try:
            return self.store.get(game_id)
        except KeyError:
            raise RequestError(404, f"no game {game_id!r}: start a new one") from None

    async def page(self, request: Request) -> Response:
        text = resources.files("alphatriangle.web").joinpath("static/index.html").read_text()
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    async def board(self, request: Request) -> Response:
        agent = await run_in_threadpool(self.source.current)  # a run's newer checkpoint loads
        budget_name, budgets = search_budgets(agent)
        return JSONResponse(
            {
                **board_json(self.env),
                "agent": agent.name,
                "follows_run": self.source.follows_run,
                "budget_name": budget_name,
                "budgets": list(budgets),
            }
        )

    async def new_game(self, request: Request) -> Response:
        seed = _int(await _body(request), "seed")
        try:
            session = await run_in_threadpool(self.store.new, seed)
        except ValueError as error:
            raise RequestError(400, str(error)) from None
        return JSONResponse(session.to_json())

    async def _on_game(
        self, session: GameSession, work: Callable[[GameSession], dict[str, Any]]
    ) -> Response:
        """`work` on the game, on a worker thread, holding the game's lock."""

        def locked() -> dict[str, Any]:
            with session.lock:
                return work(session)

        return JSONResponse(await run_in_threadpool(locked))

    async def game(self, request: Request) -> Response:
        return await self._on_game(self._session(request), lambda game: game.to_json())

    async def place(self, request: Request) -> Response:
        session = self._session(request)
        action = _required_int(await _body(request), "action")

        def play(game: GameSession) -> dict[str, Any]:
            game.place(action)
            return game.to_json()

        return await self._on_game(session, play)

    async def preview(self, request: Request) -> Response:
        session = self._session(request)
        action = _required_int(await _body(request), "action")
        return await self._on_game(session, lambda game: vars(game.preview(action)))

    async def undo(self, request: Request) -> Response:
        session = self._session(request)

        def take_back(game: GameSession) -> dict[str, Any]:
            game.undo()
            return game.to_json()

        return await self._on_game(session, take_back)

    def _analyse(self, session: GameSession, simulations: int) -> Analysis:
        """The agent's search of the game's position (the caller holds the session's lock)."""
        if session.state.is_over():
            raise MoveError("the game is over: there is nothing to analyse")
        agent = self.source.current()
        key = (str(agent.checkpoint_dir), simulations)
        if key not in session.analysts:
            session.analysts = {k: v for k, v in session.analysts.items() if k[0] == key[0]}
            session.analysts[key] = analyst_for(agent, simulations, session.seed)
        with self.search_lock:
            return session.analysts[key].analyse(session.state, len(session.actions))

    def _budget(self, body: dict[str, Any]) -> int:
        agent = self.source.current()
        default = search_budgets(agent)[1][1]
        try:
            return check_budget(_int(body, "simulations", default) or 0, agent)
        except ValueError as error:
            raise RequestError(400, str(error)) from None

    async def analyse(self, request: Request) -> Response:
        session = self._session(request)
        simulations = self._budget(await _body(request))
        return await self._on_game(session, lambda game: self._analyse(game, simulations).to_json())

    async def agent_move(self, request: Request) -> Response:
        session = self._session(request)
        simulations = self._budget(await _body(request))

        def play(game: GameSession) -> dict[str, Any]:
            analysis = self._analyse(game, simulations)
            game.place(analysis.move)
            return {**game.to_json(), "analysis": analysis.to_json()}

        return await self._on_game(session, play)

    async def agent_game(self, request: Request) -> Response:
        """The agent's own game on this game's seed at the budget asked, started if need be
        and played in the background: the page asks again until it is done."""
        session = self._session(request)
        simulations = self._budget(await _body(request))
        agent = await run_in_threadpool(self.source.current)
        return JSONResponse(self.agent_games.request(agent, session.seed, simulations).to_json())


def create_app(source: AgentSource, token: str, hosts: set[str]) -> ASGIApp:
    """The page and its API behind the token and Host checks (`hosts`: `host:port` names
    the server answers to, lower case)."""
    web = WebApp(source)
    api = "/api/games/{game_id}"
    routes = [
        Route("/", _json_errors(web.page)),
        Route("/api/board", _json_errors(web.board)),
        Route("/api/games", _json_errors(web.new_game), methods=["POST"]),
        Route(api, _json_errors(web.game)),
        Route(f"{api}/place", _json_errors(web.place), methods=["POST"]),
        Route(f"{api}/preview", _json_errors(web.preview), methods=["POST"]),
        Route(f"{api}/undo", _json_errors(web.undo), methods=["POST"]),
        Route(f"{api}/analyse", _json_errors(web.analyse), methods=["POST"]),
        Route(f"{api}/agent-move", _json_errors(web.agent_move), methods=["POST"]),
        Route(f"{api}/agent-game", _json_errors(web.agent_game), methods=["POST"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(web.agent_games.close)

    return Guard(Starlette(routes=routes, lifespan=lifespan), token, hosts)
