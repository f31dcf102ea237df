"""The server the browser talks to in `radiographqc web`: one worker process per browser tab.

trame keeps one shared state per server process, so two tabs on one trame server would see and edit
the same case. The launcher therefore gives every new tab (a `GET /`) its own session id and its own
worker (a trame server on a free loopback port) and reverse-proxies `/s/<id>/...` to it, HTTP and
websocket alike. The trame page computes its websocket URL and asset URLs relative to its own path,
so a prefix proxy is all it needs. This is trame's multi-user deployment (the wslink launcher behind
a proxy), self-contained in one aiohttp process.

Workers are started with their own session (`start_new_session`): Ctrl-C in the terminal reaches only
the launcher, which then stops them in order. Their stdout and stderr go to one log file each in a
temporary folder, not to the terminal: every trame server prints its own banner with its loopback
URL, which the user must not mistake for the one to open. The folder is removed on stop unless a
worker failed; a failure is reported on stderr in one line naming its log.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import itertools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

TOKEN_REQUIRED = "access token required: open the URL printed by radiographqc web"
NOT_LOCAL = "this server answers only to localhost addresses (start it with --host to serve others)"
TOO_MANY = "too many review sessions are open; close a tab, or wait a minute, and retry"

# Headers that describe one connection, not the message (RFC 9110 7.6.1): never forwarded.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "transfer-encoding", "upgrade"})

STOP_GRACE_SECONDS = 5.0
READY_POLL_SECONDS = 0.15


def needs_token(host: str) -> bool:
    """Whether listening on `host` lets other machines in: anything but loopback addresses and
    "localhost" (a host name or every interface, 0.0.0.0 or ::, may be reached from outside)."""
    if host.lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def resolve_token(host: str, token: str | None) -> str | None:
    """The access token to require: the one given, else a generated one where the host is not
    loopback (as Jupyter does); an empty token counts as none, it would let anyone in."""
    if not token and needs_token(host):
        return secrets.token_urlsafe(32)
    return token or None


def announcement(host: str, port: int, token: str | None) -> str:
    """The line the user copies into a browser; for every interface the machine's name (for other
    machines) and 127.0.0.1 (for this one), since 0.0.0.0 is not an address a browser can open."""
    if host in ("0.0.0.0", "::", ""):
        hosts = [socket.gethostname(), "127.0.0.1"]
    else:
        hosts = [host]
    return "RadiographQC web app: " + " or ".join(_browser_url(name, port, token) for name in hosts)


def _browser_url(host: str, port: int, token: str | None) -> str:
    if ":" in host:
        host = f"[{host}]"
    query = f"?token={token}" if token else ""
    return f"http://{host}:{port}/{query}"


def _free_loopback_port() -> int:
    """A port nobody listens on now; another program may take it before the worker binds it, which
    the launcher covers by trying a second port when a worker exits before it is ready."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listen(host: str, port: int) -> socket.socket:
    """One listening socket (OSError if it cannot be bound): one address, so one port to print even
    for port 0 on a name such as "localhost" that resolves to both 127.0.0.1 and ::1."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    return socket.create_server((host, port), family=family)


def _line(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n")


def _redirect(location) -> web.Response:
    return web.Response(status=302, headers={"Location": str(location)})


def _new_session_url(request: web.Request) -> URL:
    return request.url.origin().with_path("/")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class WorkerStartError(RuntimeError):
    """A worker that exited or did not answer in time; the message is one line naming its log."""


class _Worker:
    """One worker process on a loopback port, its output in a log file."""

    def __init__(self, argv: list[str], port: int, log_path: str, env: Mapping[str, str] | None):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT, env=env, start_new_session=True)

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def exited(self) -> bool:
        return self._process.poll() is not None

    async def wait_ready(self, http: aiohttp.ClientSession, timeout: float) -> str | None:
        """None once `GET /` answers 200, else what went wrong (it exited, or the time ran out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.exited():
                return f"exited with code {self.returncode}"
            if await self._answers(http):
                return None
            await asyncio.sleep(READY_POLL_SECONDS)
        return f"did not answer within {timeout:g} s"

    async def _answers(self, http: aiohttp.ClientSession) -> bool:
        try:
            async with http.get(self.url + "/", timeout=aiohttp.ClientTimeout(total=2)) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def stop(self) -> None:
        """SIGTERM, SIGKILL if it is still there after a grace time. Signals go through Popen, which
        knows whether its child was already reaped, so a reused pid is never hit."""
        if self.exited():
            return
        self._process.terminate()
        if not await self._exits_within(STOP_GRACE_SECONDS):
            self._process.kill()
            await self._exits_within(STOP_GRACE_SECONDS)

    async def _exits_within(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self.exited():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True


@dataclass
class _Session:
    """One browser tab: its worker, and what tells when the tab is gone."""
    worker: _Worker
    open_sockets: int = 0
    last_active: float = field(default_factory=time.monotonic)

    def touch(self) -> None:
        self.last_active = time.monotonic()


class Launcher:
    """The browser-facing server; `async with Launcher(...)` or `await start()` ... `await stop()`.

    `worker_command(port)` is the argv of one worker, which must serve HTTP and its websocket on
    127.0.0.1:<port>; `env` is the workers' environment (None: the launcher's own). A worker is ready
    when `GET /` answers 200, within `ready_timeout` seconds.

    A session lives while its tab has a websocket open, and `idle_seconds` after the last one closed
    (or after its last HTTP request, for a tab that never connected), so a reload reconnects to the
    same case. `spare_workers` are started ahead so a new tab does not wait for a process start; the
    spares and the sessions together never exceed `max_sessions` workers.
    """

    def __init__(self, *, worker_command: Callable[[int], list[str]], host: str = "127.0.0.1",
                 port: int = 0, token: str | None = None, max_sessions: int = 8,
                 spare_workers: int = 1, idle_seconds: float = 15.0, ready_timeout: float = 90.0,
                 env: Mapping[str, str] | None = None):
        self.host = host
        self.port = port
        self.token = resolve_token(host, token)
        self.worker_command = worker_command
        self.max_sessions = max_sessions
        self.spare_workers = spare_workers
        self.idle_seconds = idle_seconds
        self.ready_timeout = ready_timeout
        self.env = env
        self._sessions: dict[str, _Session] = {}
        self._spares: list[asyncio.Task[_Worker]] = []
        self._workers: set[_Worker] = set()
        self._upstream_sockets: set[aiohttp.ClientWebSocketResponse] = set()
        self._starting = 0
        self._worker_numbers = itertools.count(1)
        self._closing = False
        self._keep_logs = False
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Launcher:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    async def start(self) -> tuple[str, int]:
        """Listen (OSError if the address cannot be bound, before any worker starts), start the
        spare workers in the background, return (host, port) with the port actually bound."""
        listener = _listen(self.host, self.port)
        self.port = listener.getsockname()[1]
        self._log_dir = tempfile.mkdtemp(prefix="radiographqc-web-")
        # No cookie jar: cookies a worker sets belong to its tab, not to the next session's requests.
        # No connection cap: each open tab holds its websockets for as long as it is open.
        self._http = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=None, connect=10))
        app = web.Application(middlewares=[self._gate])
        # No HEAD on /: a link preview or `curl -I` must not start a worker.
        app.add_routes([web.get("/", self._new_session, allow_head=False),
                        web.route("*", "/s/{session}/{tail:.*}", self._proxy)])
        app.on_shutdown.append(self._on_shutdown)
        # Requests still running after the workers are gone end within the shutdown timeout.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, listener).start()
        self._sweeper = asyncio.create_task(self._expire_idle_sessions())
        self._replenish()
        return self.host, self.port

    async def stop(self) -> None:
        """Stop serving and stop every worker this launcher started, spares included."""
        if self._runner is None:
            return
        self._closing = True
        self._sweeper.cancel()
        await asyncio.gather(self._sweeper, return_exceptions=True)
        await self._runner.cleanup()  # calls _on_shutdown once the listening socket is closed
        self._runner = None
        await self._stop_workers()  # any a request started while the server was shutting down
        await self._http.close()
        if self._keep_logs:
            _say(f"radiographqc web: worker logs kept in {self._log_dir}")
        else:
            shutil.rmtree(self._log_dir, ignore_errors=True)

    async def wait_for_spares(self) -> None:
        """Until the spare workers answer (WorkerStartError if one cannot start): a new tab then
        opens without waiting for a process start."""
        await asyncio.gather(*self._spares)

    @web.middleware
    async def _gate(self, request: web.Request, handler) -> web.StreamResponse:
        """Every route, websocket upgrades included: the token when one is set, else a localhost
        Host header, so a web page cannot reach a loopback server by rebinding its DNS name."""
        if self.token is None:
            if needs_token(request.url.host or ""):
                return _line(403, NOT_LOCAL)
            return await handler(request)
        given = request.query.get("token")
        if given is not None:
            return self._accept_token(request, given)
        cookie = request.cookies.get(self._cookie_name())
        if cookie is None or not self._is_token(cookie):
            return _line(403, TOKEN_REQUIRED)
        return await handler(request)

    def _accept_token(self, request: web.Request, given: str) -> web.StreamResponse:
        """The token from the printed URL becomes a cookie, and the address bar loses it, so it is
        neither bookmarked nor sent to the worker."""
        if not self._is_token(given):
            return _line(403, TOKEN_REQUIRED)
        query = request.query.copy()
        query.popall("token")
        response = _redirect(request.rel_url.with_query(query))
        response.set_cookie(self._cookie_name(), self.token, httponly=True, samesite="Strict", path="/")
        return response

    def _is_token(self, value: str) -> bool:
        return hmac.compare_digest(value.encode(), self.token.encode())

    def _cookie_name(self) -> str:
        # Cookies do not tell ports apart: two launchers on one machine must not overwrite each other's.
        return f"radiographqc-web-token-{self.port}"

    async def _new_session(self, request: web.Request) -> web.StreamResponse:
        if len(self._sessions) + self._starting >= self.max_sessions:
            return _line(503, TOO_MANY)
        self._starting += 1  # counted before the first await, so concurrent tabs cannot overshoot
        try:
            worker = await self._take_worker()
        except WorkerStartError as error:
            return _line(502, str(error))
        finally:
            self._starting -= 1
        session_id = secrets.token_urlsafe(16)
        self._sessions[session_id] = _Session(worker)
        return _redirect(f"/s/{session_id}/")

    async def _take_worker(self) -> _Worker:
        """The oldest spare (a fresh worker if none, or if it died while waiting), then a new spare."""
        spare = self._spares.pop(0) if self._spares else None
        self._replenish()
        if spare is None:
            return await self._start_ready_worker()
        worker = await spare
        if worker.exited():
            await self._retire(worker)
            return await self._start_ready_worker()
        return worker

    def _replenish(self) -> None:
        while (len(self._spares) < self.spare_workers and not self._closing
               and len(self._sessions) + self._starting + len(self._spares) < self.max_sessions):
            self._spares.append(asyncio.create_task(self._start_ready_worker()))

    async def _start_ready_worker(self) -> _Worker:
        """A worker that answers HTTP. One that exits before it is ready gets a second try on another
        port (the free-port race); one that does not answer in time does not (it would double the wait)."""
        for _attempt in range(2):
            worker = self._spawn()
            try:
                problem = await worker.wait_ready(self._http, self.ready_timeout)
            except BaseException:  # cancelled: the launcher is stopping
                await self._retire(worker)
                raise
            if problem is None:
                return worker
            exited = worker.exited()
            await self._retire(worker)
            if not exited:
                break
        self._keep_logs = True
        message = f"radiographqc web: a review worker {problem} (log: {worker.log_path})"
        _say(message)
        raise WorkerStartError(message)

    def _spawn(self) -> _Worker:
        if self._closing:
            raise WorkerStartError("radiographqc web: shutting down")
        port = _free_loopback_port()
        # Numbered, not named by port: a port comes back, and must not overwrite a failed worker's log.
        log_path = os.path.join(self._log_dir, f"worker-{next(self._worker_numbers)}.log")
        try:
            worker = _Worker(self.worker_command(port), port, log_path, self.env)
        except OSError as error:
            self._keep_logs = True
            message = f"radiographqc web: cannot start a review worker: {error}"
            _say(message)
            raise WorkerStartError(message) from None
        self._workers.add(worker)
        return worker

    async def _retire(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        await worker.stop()

    async def _end_session(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            await self._retire(session.worker)
            self._replenish()

    async def _expire_idle_sessions(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.idle_seconds / 4))
            now = time.monotonic()
            for session_id, session in list(self._sessions.items()):
                if session.open_sockets == 0 and now - session.last_active >= self.idle_seconds:
                    await self._end_session(session_id)

    async def _on_shutdown(self, _app: web.Application) -> None:
        # Closing the websockets first lets each worker shut down at once instead of waiting for them.
        await asyncio.gather(*(ws.close() for ws in list(self._upstream_sockets)), return_exceptions=True)
        await self._stop_workers()

    async def _stop_workers(self) -> None:
        for spare in self._spares:
            spare.cancel()
        await asyncio.gather(*self._spares, return_exceptions=True)
        self._spares.clear()
        self._sessions.clear()
        await asyncio.gather(*(self._retire(worker) for worker in list(self._workers)))

    async def _proxy(self, request: web.Request) -> web.StreamResponse:
        session_id = request.match_info["session"]
        session = self._sessions.get(session_id)
        if session is None:
            return _line(404, f"this review session has ended; open {_new_session_url(request)} "
                              "for a new one")
        if session.worker.exited():
            return await self._worker_died(session_id, session, request)
        session.touch()
        # The raw path, so what the browser encoded reaches the worker as it was (query included).
        upstream = URL(session.worker.url + "/" + request.raw_path.split("/", 3)[3], encoded=True)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._proxy_websocket(request, session_id, session, upstream)
        return await self._proxy_http(request, session_id, session, upstream)

    async def _worker_died(self, session_id: str, session: _Session, request: web.Request) -> web.Response:
        self._keep_logs = True
        _say(f"radiographqc web: a review worker exited with code {session.worker.returncode} "
             f"(log: {session.worker.log_path})")
        await self._end_session(session_id)
        return _line(502, f"the review worker of this session stopped; open {_new_session_url(request)} "
                          "for a new one")

    async def _unreachable(self, session_id: str, session: _Session, request: web.Request) -> web.Response:
        if session.worker.exited():
            return await self._worker_died(session_id, session, request)
        return _line(502, "the review worker of this session does not answer; reload the page to retry")

    async def _proxy_http(self, request: web.Request, session_id: str, session: _Session,
                          upstream: URL) -> web.StreamResponse:
        try:
            reply = await self._http.request(
                request.method, upstream, headers=_forwarded(request.headers), allow_redirects=False,
                data=request.content if request.body_exists else None)
        except aiohttp.ClientError:
            return await self._unreachable(session_id, session, request)
        async with reply:
            response = web.StreamResponse(status=reply.status, reason=reply.reason,
                                          headers=_returned(reply.headers, f"/s/{session_id}"))
            await response.prepare(request)
            try:
                async for chunk in reply.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
            except (ConnectionError, aiohttp.ClientError):
                # The tab was closed or the worker died mid-transfer: the browser sees a cut
                # response, and aiohttp would print a traceback for something that is not a bug.
                pass
            return response

    async def _proxy_websocket(self, request: web.Request, session_id: str, session: _Session,
                               upstream: URL) -> web.StreamResponse:
        protocols = [name.strip() for name in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
                     if name.strip()]
        # aiohttp writes its own handshake headers; extensions are negotiated on each side apart.
        headers = CIMultiDict((name, value) for name, value in _end_to_end(request.headers)
                              if not name.lower().startswith("sec-websocket-"))
        try:
            # No size cap here: the worker enforces its own, and trame sends whole images in one frame.
            to_worker = await self._http.ws_connect(upstream, protocols=protocols, headers=headers,
                                                    max_msg_size=0)
        except aiohttp.ClientError:
            return await self._unreachable(session_id, session, request)
        to_browser = web.WebSocketResponse(protocols=[to_worker.protocol] if to_worker.protocol else [],
                                           max_msg_size=0)
        self._upstream_sockets.add(to_worker)
        session.open_sockets += 1
        try:
            await to_browser.prepare(request)
            await _relay(to_browser, to_worker)
        finally:
            session.open_sockets -= 1
            session.touch()
            self._upstream_sockets.discard(to_worker)
            await to_worker.close()
            await to_browser.close()
        return to_browser


def _end_to_end(headers) -> list[tuple[str, str]]:
    """The headers without the hop-by-hop ones, those named in Connection included."""
    drop = HOP_BY_HOP | {name.strip().lower() for name in headers.get("Connection", "").split(",")}
    return [(name, value) for name, value in headers.items() if name.lower() not in drop]


def _forwarded(headers) -> CIMultiDict:
    """The request headers for the worker. Host stays the browser's, so what the worker sees
    matches the Origin the browser sends."""
    return CIMultiDict(_end_to_end(headers))


def _returned(headers, prefix: str) -> CIMultiDict:
    """The worker's response headers for the browser; a redirect to an absolute path stays inside
    the session's prefix."""
    returned = CIMultiDict()
    for name, value in _end_to_end(headers):
        if name.lower() == "location" and value.startswith("/") and not value.startswith("//"):
            value = prefix + value
        returned.add(name, value)
    return returned


async def _relay(to_browser: web.WebSocketResponse, to_worker: aiohttp.ClientWebSocketResponse) -> None:
    """Frames both ways until either side closes; the caller then closes both."""
    pumps = [asyncio.create_task(_pump(to_browser, to_worker)),
             asyncio.create_task(_pump(to_worker, to_browser))]
    try:
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


async def _pump(source, sink) -> None:
    # Pings and pongs are answered on each side by aiohttp itself; iteration ends at a close frame.
    async for message in source:
        if message.type == aiohttp.WSMsgType.TEXT:
            await sink.send_str(message.data)
        elif message.type == aiohttp.WSMsgType.BINARY:
            await sink.send_bytes(message.data)


def run(host: str, port: int, token: str | None, worker_command: Callable[[int], list[str]],
        **options) -> int:
    """Serve until SIGINT or SIGTERM; 0 then, 2 if the address cannot be bound. `options` are the
    other Launcher arguments. The token is resolve_token's, and is part of the printed URL."""
    launcher = Launcher(worker_command=worker_command, host=host, port=port, token=token, **options)
    try:
        return asyncio.run(_serve(launcher))
    except KeyboardInterrupt:  # before the signal handlers were in place: nothing was started
        return 0


async def _serve(launcher: Launcher) -> int:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    try:
        await launcher.start()
    except OSError as error:
        reason = error.strerror or error
        _say(f"radiographqc web: cannot listen on {launcher.host}:{launcher.port}: {reason}")
        return 2
    try:
        print(announcement(launcher.host, launcher.port, launcher.token), flush=True)
        await stopped.wait()
    finally:  # whatever ends the wait, no worker may outlive the launcher
        await launcher.stop()
    return 0
