"""The web launcher: one worker process per browser session behind a prefix proxy, the access token,
and the worker lifecycle (spare, idle expiry, death, shutdown). The workers are web_dummy_worker.py,
which answers with its pid; the browser is an aiohttp client with its own cookie jar."""
import asyncio
import functools
import io
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import pytest

from RadiographQCWeb.launcher import (NOT_LOCAL, TOKEN_REQUIRED, TOO_MANY, Launcher, announcement,
                                      needs_token, resolve_token, run)

DUMMY_WORKER = Path(__file__).with_name("web_dummy_worker.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def temporary_folder(tmp_path, monkeypatch):
    """The launcher's worker logs go under the test's own folder, where a test can look for them."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def pid_folder(tmp_path):
    """Where the dummy workers write their pids (WEB_DUMMY_WORKER_PIDS)."""
    folder = tmp_path / "pids"
    folder.mkdir()
    return folder


def pids_in(folder):
    return [int(path.name) for path in folder.iterdir()]


def dummy_worker(port):
    return [sys.executable, str(DUMMY_WORKER), "--port", str(port)]


def in_event_loop(test):
    """Run an async test in its own event loop, bounded, since pytest-asyncio is not a dependency."""
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), timeout=30))
    return wrapper


def a_launcher(**options):
    options.setdefault("worker_command", dummy_worker)
    return Launcher(host="127.0.0.1", port=0, **options)


def a_browser():
    # unsafe: the jar keeps cookies of IP-address hosts such as 127.0.0.1 only then.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def base_url(launcher):
    return f"http://127.0.0.1:{launcher.port}"


def env_with(**variables):
    return {**os.environ, **variables}


async def open_session(browser, launcher):
    """The session URL a new tab is redirected to."""
    async with browser.get(base_url(launcher) + "/", allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        return base_url(launcher) + response.headers["Location"]


async def worker_pid(browser, session_url):
    async with browser.get(session_url) as response:
        assert response.status == 200, await response.text()
        return int((await response.text()).split()[1])


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def until(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@in_event_loop
async def test_two_browser_sessions_get_two_workers_whose_websockets_do_not_mix():
    async with a_launcher() as launcher, a_browser() as first, a_browser() as second:
        first_url, second_url = await open_session(first, launcher), await open_session(second, launcher)
        first_pid, second_pid = await worker_pid(first, first_url), await worker_pid(second, second_url)
        assert first_url != second_url and first_pid != second_pid
        async with first.ws_connect(first_url + "ws") as one, second.ws_connect(second_url + "ws") as other:
            await one.send_str("from the first tab")
            await other.send_str("from the second tab")
            assert await other.receive_str() == f"{second_pid}:from the second tab"
            assert await one.receive_str() == f"{first_pid}:from the first tab"


@in_event_loop
async def test_http_passes_query_strings_post_bodies_and_redirects_stay_under_the_session_prefix():
    async with a_launcher() as launcher, a_browser() as browser:
        session_url = await open_session(browser, launcher)
        pid = await worker_pid(browser, session_url)
        async with browser.get(session_url + "echo?x=1&name=a%20b") as response:
            assert await response.json() == {"pid": pid, "query": "x=1&name=a%20b"}
        body = os.urandom(3 * 1024 * 1024)
        async with browser.post(session_url + "echo", data=io.BytesIO(body)) as response:
            assert await response.read() == f"{pid}:".encode() + body
        async with browser.get(session_url + "moved", allow_redirects=False) as response:
            assert response.status == 302
            assert base_url(launcher) + response.headers["Location"] == session_url + "echo?from=moved"


@in_event_loop
async def test_a_tab_closed_in_the_middle_of_a_download_logs_no_error_and_the_session_goes_on(caplog):
    async with a_launcher(spare_workers=0) as launcher, a_browser() as browser:
        session_url = await open_session(browser, launcher)
        # Far more than the socket buffers hold, so the launcher is still writing when the tab goes.
        response = await browser.post(session_url + "echo", data=io.BytesIO(os.urandom(32 * 1024 * 1024)))
        await response.content.read(1000)
        response.close()
        await asyncio.sleep(0.5)
        await worker_pid(browser, session_url)
    assert [record for record in caplog.records if record.levelname == "ERROR"] == []


@in_event_loop
async def test_websockets_pass_text_and_large_binary_frames_both_ways():
    async with a_launcher() as launcher, a_browser() as browser:
        session_url = await open_session(browser, launcher)
        pid = await worker_pid(browser, session_url)
        image = os.urandom(6 * 1024 * 1024)  # over aiohttp's 4 MiB default frame cap
        async with browser.ws_connect(session_url + "ws", max_msg_size=0) as socket_:
            await socket_.send_bytes(image)
            assert await socket_.receive_bytes() == f"{pid}:".encode() + image
            await socket_.send_str("état")
            assert await socket_.receive_str() == f"{pid}:état"


@in_event_loop
async def test_the_spare_worker_lets_a_new_session_start_without_waiting_for_a_process():
    # Each worker takes a second to start, so only a worker started ahead can answer in 0.5 s.
    async with a_launcher(env=env_with(WEB_DUMMY_WORKER_DELAY="1")) as launcher, a_browser() as browser:
        first_url = await open_session(browser, launcher)
        await launcher.wait_for_spares()
        started = time.monotonic()
        second_url = await open_session(browser, launcher)
        assert time.monotonic() - started < 0.5
        assert await worker_pid(browser, first_url) != await worker_pid(browser, second_url)


@in_event_loop
async def test_with_a_token_a_browser_without_it_is_refused_on_every_route_and_the_websocket():
    async with a_launcher(token="s3cret") as launcher, a_browser() as owner, a_browser() as stranger:
        async with owner.get(base_url(launcher) + "/?token=s3cret") as response:
            assert response.status == 200
            session_url = str(response.url)
        for url in (base_url(launcher) + "/", session_url, session_url + "echo"):
            async with stranger.get(url, allow_redirects=False) as response:
                assert (response.status, await response.text()) == (403, TOKEN_REQUIRED + "\n")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await stranger.ws_connect(session_url + "ws")
        assert refused.value.status == 403


@in_event_loop
async def test_the_token_in_the_url_becomes_a_cookie_and_leaves_the_address_then_everything_works():
    async with a_launcher(token="s3cret") as launcher, a_browser() as browser:
        url = base_url(launcher) + "/?view=1&token=s3cret"
        async with browser.get(url, allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/?view=1"
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        session_url = await open_session(browser, launcher)
        pid = await worker_pid(browser, session_url)
        async with browser.post(session_url + "echo", data=b"body") as response:
            assert await response.read() == f"{pid}:body".encode()
        async with browser.ws_connect(session_url + "ws") as socket_:
            await socket_.send_str("hi")
            assert await socket_.receive_str() == f"{pid}:hi"


@in_event_loop
async def test_a_wrong_token_is_refused_and_sets_no_cookie():
    async with a_launcher(token="s3cret") as launcher, a_browser() as browser:
        for url in ("/?token=s3cre", "/?token=s3cretX", "/"):
            async with browser.get(base_url(launcher) + url, allow_redirects=False) as response:
                assert (response.status, await response.text()) == (403, TOKEN_REQUIRED + "\n")
                assert "Set-Cookie" not in response.headers


@in_event_loop
async def test_a_server_without_a_token_answers_only_to_localhost_names_against_dns_rebinding():
    async with a_launcher(spare_workers=0) as launcher, a_browser() as browser:
        url = base_url(launcher) + "/"
        async with browser.get(url, headers={"Host": f"evil.example:{launcher.port}"}) as response:
            assert (response.status, await response.text()) == (403, NOT_LOCAL + "\n")
        async with browser.get(url, headers={"Host": f"localhost:{launcher.port}"},
                               allow_redirects=False) as response:
            assert response.status == 302


@pytest.mark.parametrize("host, needed", [("127.0.0.1", False), ("127.3.4.5", False), ("::1", False),
                                          ("localhost", False), ("LocalHost", False), ("0.0.0.0", True),
                                          ("::", True), ("192.168.1.5", True), ("myhost.example", True)])
def test_only_hosts_other_machines_can_reach_need_a_token(host, needed):
    assert needs_token(host) is needed
    assert resolve_token(host, "given") == "given"
    if needed:
        generated = resolve_token(host, None)
        assert len(generated) >= 40 and generated != resolve_token(host, None)
        assert resolve_token(host, "") not in ("", None)
    else:
        assert resolve_token(host, None) is None and resolve_token(host, "") is None


def test_the_printed_url_names_this_machine_and_loopback_when_serving_every_interface():
    assert announcement("127.0.0.1", 8080, None) == "RadiographQC web app: http://127.0.0.1:8080/"
    assert announcement("::1", 8080, None) == "RadiographQC web app: http://[::1]:8080/"
    assert announcement("0.0.0.0", 8080, "t0k") == ("RadiographQC web app: "
                                                    f"http://{socket.gethostname()}:8080/?token=t0k"
                                                    " or http://127.0.0.1:8080/?token=t0k")


@in_event_loop
async def test_a_session_is_stopped_idle_seconds_after_its_last_websocket_closed_but_not_while_one_is_open():
    async with a_launcher(idle_seconds=1, spare_workers=0) as launcher, a_browser() as browser:
        left_url, open_url = await open_session(browser, launcher), await open_session(browser, launcher)
        left_pid, open_pid = await worker_pid(browser, left_url), await worker_pid(browser, open_url)
        async with browser.ws_connect(open_url + "ws") as kept:
            async with browser.ws_connect(left_url + "ws"):
                pass
            closed = time.monotonic()
            await until(lambda: gone(left_pid), seconds=6)
            assert time.monotonic() - closed >= 0.9
            await asyncio.sleep(1.0)
            await kept.send_str("still here")
            assert await kept.receive_str() == f"{open_pid}:still here"
        async with browser.get(left_url) as response:
            assert response.status == 404
            assert (await response.text()).startswith("this review session has ended; open http://")


@in_event_loop
async def test_a_dead_worker_gives_502_once_and_then_404():
    async with a_launcher(spare_workers=0) as launcher, a_browser() as browser:
        session_url = await open_session(browser, launcher)
        pid = await worker_pid(browser, session_url)
        os.kill(pid, signal.SIGKILL)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # dead, left for the launcher to reap
        async with browser.get(session_url + "echo") as response:
            assert response.status == 502
            assert (await response.text()).startswith("the review worker of this session stopped")
        async with browser.get(session_url + "echo") as response:
            assert response.status == 404


@in_event_loop
async def test_stop_leaves_no_worker_process_alive_spare_included_even_with_a_websocket_open(
        pid_folder, temporary_folder):
    launcher = a_launcher(env=env_with(WEB_DUMMY_WORKER_PIDS=str(pid_folder)))
    await launcher.start()
    async with a_browser() as browser:
        first_url = await open_session(browser, launcher)
        await open_session(browser, launcher)
        await launcher.wait_for_spares()
        async with browser.ws_connect(first_url + "ws") as socket_:
            closing = asyncio.create_task(socket_.receive())  # a browser answers the close frame
            started = time.monotonic()
            await launcher.stop()
            # The websocket closed first lets the worker end on SIGTERM, without the SIGKILL grace.
            assert time.monotonic() - started < 4
            assert (await closing).type == aiohttp.WSMsgType.CLOSE
    pids = pids_in(pid_folder)
    assert len(pids) == 3 and all(gone(pid) for pid in pids)
    assert list(temporary_folder.iterdir()) == []  # no worker failed: no logs kept


@in_event_loop
async def test_more_sessions_than_the_limit_get_503_in_one_line():
    async with a_launcher(max_sessions=2) as launcher, a_browser() as browser:
        await open_session(browser, launcher)
        await open_session(browser, launcher)
        async with browser.get(base_url(launcher) + "/", allow_redirects=False) as response:
            assert (response.status, await response.text()) == (503, TOO_MANY + "\n")


@in_event_loop
async def test_a_worker_that_exits_at_start_is_tried_twice_and_gives_502_naming_its_log(tmp_path, capsys):
    attempts = tmp_path / "attempts"
    failing = ["-c", f"import sys; open({str(attempts)!r}, 'a').write('x'); print('boom', file=sys.stderr); "
                     "sys.exit(3)"]
    launcher = a_launcher(worker_command=lambda port: [sys.executable, *failing], spare_workers=0)
    async with launcher, a_browser() as browser:
        async with browser.get(base_url(launcher) + "/", allow_redirects=False) as response:
            assert response.status == 502
            message = (await response.text()).strip()
    assert "exited with code 3" in message and attempts.read_text() == "xx"
    log = Path(message.split("(log: ")[1].rstrip(")"))
    assert "boom" in log.read_text()
    assert message in capsys.readouterr().err


@in_event_loop
async def test_a_worker_that_does_not_answer_in_time_gives_502_and_is_stopped(pid_folder):
    env = env_with(WEB_DUMMY_WORKER_DELAY="30", WEB_DUMMY_WORKER_PIDS=str(pid_folder))
    async with a_launcher(env=env, ready_timeout=0.5, spare_workers=0) as launcher, a_browser() as browser:
        started = time.monotonic()
        async with browser.get(base_url(launcher) + "/", allow_redirects=False) as response:
            assert response.status == 502 and "did not answer within 0.5 s" in await response.text()
        assert time.monotonic() - started < 4
        pids = pids_in(pid_folder)
        assert len(pids) == 1 and gone(pids[0])


def test_run_returns_2_with_one_line_on_stderr_when_the_port_is_in_use_or_the_address_is_not_this_machines(
        capsys):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert run("127.0.0.1", port, None, dummy_worker) == 2
        assert run("192.0.2.1", 0, None, dummy_worker) == 2  # TEST-NET-1: no interface has it
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 2
    in_use, not_here = err.splitlines()
    assert in_use.startswith(f"radiographqc web: cannot listen on 127.0.0.1:{port}: ")
    assert not_here.startswith("radiographqc web: cannot listen on 192.0.2.1:0: ")


@in_event_loop
async def test_run_prints_the_url_and_on_sigint_stops_its_workers_without_a_traceback(pid_folder,
                                                                                      temporary_folder):
    program = ("import sys\n"
               "from RadiographQCWeb.launcher import run\n"
               f"worker = [sys.executable, {str(DUMMY_WORKER)!r}, '--port']\n"
               "sys.exit(run('127.0.0.1', 0, None, lambda port: [*worker, str(port)]))\n")
    env = env_with(WEB_DUMMY_WORKER_PIDS=str(pid_folder), TMPDIR=str(temporary_folder))
    launcher = await asyncio.create_subprocess_exec(sys.executable, "-c", program, cwd=ROOT, env=env,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
    line = (await asyncio.wait_for(launcher.stdout.readline(), timeout=10)).decode()
    assert line.startswith("RadiographQC web app: http://127.0.0.1:") and line.endswith("/\n")
    async with a_browser() as browser:
        async with browser.get(line.split(": ", 1)[1].strip()) as response:
            assert response.status == 200 and response.url.path.startswith("/s/")
    launcher.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(launcher.communicate(), timeout=10)
    assert launcher.returncode == 0 and b"Traceback" not in err
    pids = pids_in(pid_folder)
    assert len(pids) >= 1 and all(gone(pid) for pid in pids)
    assert list(temporary_folder.iterdir()) == []
