"""`alphatriangle play --web`: the page served by uvicorn on this machine, its URL printed."""

import ipaddress
import secrets
import socket
import struct
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from alphatriangle.evaluation.checkpoints import CheckpointError
from alphatriangle.utils import UserError
from alphatriangle.web.analysis import AgentSource
from alphatriangle.web.app import create_app

LOOPBACK = "127.0.0.1"
SIOCGIFADDR = 0x8915
"""Linux's ioctl that reads an interface's address."""


@dataclass(frozen=True)
class WebServer:
    """A bound, not yet running server: its socket, URL and uvicorn server."""

    url: str
    token: str
    sock: socket.socket
    server: uvicorn.Server

    def run(self) -> None:
        """Serve until stopped (Ctrl-C, or `server.should_exit`)."""
        self.server.run(sockets=[self.sock])


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host headers the server answers to: its own address, `localhost` on loopback, and
    bound to all interfaces (0.0.0.0, ::) the machine's own names and addresses, which is
    what another device on the network sends (the token still guards every request)."""
    names = {host}
    if _is_loopback(host) or _is_unspecified(host):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    if _is_unspecified(host):
        names |= machine_names()
    return {f"{name}:{port}".lower() for name in names}


def machine_names() -> set[str]:
    """This machine's host name and the IPv4 addresses of its interfaces, read locally (no
    name lookup, which could ask a DNS server)."""
    return {socket.gethostname()} | _interface_addresses()


def _interface_addresses() -> set[str]:
    """The IPv4 address of each network interface (Linux's SIOCGIFADDR; none elsewhere)."""
    try:
        import fcntl
    except ImportError:
        return set()
    addresses = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
            except OSError:
                continue
            addresses.add(socket.inet_ntoa(reply[20:24]))
    return addresses


def shown_address(host: str) -> str:
    """The address to print: for a bind to all interfaces one another device can open (an
    interface that is not loopback, else the host name)."""
    if not _is_unspecified(host):
        return f"[{host}]" if ":" in host else host
    outside = sorted(a for a in _interface_addresses() if not _is_loopback(a))
    return outside[0] if outside else socket.gethostname()


def _is_unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def bind_server(agent: str, root: Path, host: str = LOOPBACK, port: int = 0) -> WebServer:
    """Load the agent, bind `host:port` (0: any free port) and build the server; a
    `UserError` of one line for an agent that does not load or an address that cannot be
    bound. Every request needs the token in the URL it returns."""
    try:
        source = AgentSource(agent, root)
    except CheckpointError:
        raise
    except (OSError, ValueError) as error:
        raise UserError(f"cannot load agent {agent!r}: {error}") from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port} ({error}); pick another --port") from None
    sock.listen(64)
    return server_on(source, sock, host)


def server_on(source: AgentSource, sock: socket.socket, host: str) -> WebServer:
    """The server on a listening socket, answering as one bound to `host` does: the Host
    names it accepts and the address it prints follow `host` (the tests listen on loopback
    as a server bound to all interfaces)."""
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    app = create_app(source, token, allowed_hosts(host, port))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    url = f"http://{shown_address(host)}:{port}/?token={token}"
    return WebServer(url, token, sock, uvicorn.Server(config))


def serve_web(
    agent: str,
    root: Path,
    host: str,
    port: int,
    open_browser: bool,
    seed: int | None,
    say: Callable[[str], None],
) -> int:
    """Bind, print the URL (with `seed`, the page starts that seed's game), open it in the
    default browser (unless told not to) and serve until Ctrl-C."""
    web = bind_server(agent, root, host, port)
    url = web.url if seed is None else f"{web.url}&seed={seed}"
    say(f"AlphaTriangle at {url}")
    say("(the token in the address is needed by every request; Ctrl-C stops the server)")
    if open_browser:
        webbrowser.open(url)
    web.run()
    return 0
