"""A stand-in for a trame worker in the launcher tests: an aiohttp server on 127.0.0.1:<port> whose
every answer carries its pid, so a test can tell which worker a request reached.

    python web_dummy_worker.py --port N

In the environment, WEB_DUMMY_WORKER_PIDS=<folder> makes it write an empty file named by its pid
there first thing (so a test knows every worker, spares included), and WEB_DUMMY_WORKER_DELAY=<seconds>
delays its start, as a real worker's imports do.
"""
import argparse
import os
import time
from pathlib import Path

from aiohttp import WSMsgType, web

PID = os.getpid()


async def index(_request):
    return web.Response(text=f"pid {PID}")


async def echo_query(request):
    return web.json_response({"pid": PID, "query": request.rel_url.raw_query_string})


async def echo_body(request):
    return web.Response(body=f"{PID}:".encode() + await request.read())


async def moved(_request):
    return web.Response(status=302, headers={"Location": "/echo?from=moved"})


async def echo_socket(request):
    socket = web.WebSocketResponse(max_msg_size=0)
    await socket.prepare(request)
    async for message in socket:
        if message.type == WSMsgType.TEXT:
            await socket.send_str(f"{PID}:{message.data}")
        elif message.type == WSMsgType.BINARY:
            await socket.send_bytes(f"{PID}:".encode() + message.data)
    return socket


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if "WEB_DUMMY_WORKER_PIDS" in os.environ:
        Path(os.environ["WEB_DUMMY_WORKER_PIDS"], str(PID)).touch()
    time.sleep(float(os.environ.get("WEB_DUMMY_WORKER_DELAY", "0")))
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes([web.get("/", index), web.get("/echo", echo_query), web.post("/echo", echo_body),
                    web.get("/moved", moved), web.get("/ws", echo_socket)])
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
