"""`radiographqc web`: the launcher in front, one worker process per browser tab behind it."""
from __future__ import annotations

import sys
from pathlib import Path

from . import launcher

SAMPLES = Path(__file__).resolve().parents[1] / "Resources" / "Samples"


def worker_command(inputs: list[str], export_dir: Path, profiles: list[str]):
    """The argv of one tab's worker on a given loopback port (paths made absolute: the worker's
    working folder is the launcher's, but nothing should depend on it)."""
    def command(port: int) -> list[str]:
        argv = [sys.executable, "-m", "RadiographQCWeb.worker", "--port", str(port), "--export", str(export_dir)]
        for profile in profiles:
            argv += ["--profile", profile]
        return argv + inputs
    return command


def check_inputs(args) -> tuple[list[str], Path, list[str]] | str:
    """(inputs, export folder, profiles), or one line saying what is wrong with the arguments."""
    inputs = [str(Path(p).resolve()) for p in (args.inputs or [SAMPLES])]
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:
        return f"{missing[0]}: no such file or folder"
    profiles = [str(Path(p).resolve()) for p in args.profile]
    unreadable = [p for p in profiles if not Path(p).is_file()]
    if unreadable:
        return f"{unreadable[0]}: no such profile file"
    export_dir = Path(args.export).resolve()
    if export_dir.exists() and not export_dir.is_dir():
        return f"{export_dir}: the export folder is a file"
    return inputs, export_dir, profiles


def serve(args) -> int:
    checked = check_inputs(args)
    if isinstance(checked, str):
        print(f"error: {checked}", file=sys.stderr)
        return 2
    inputs, export_dir, profiles = checked
    token = launcher.resolve_token(args.host, args.token)
    return launcher.run(args.host, args.port, token, worker_command(inputs, export_dir, profiles))
