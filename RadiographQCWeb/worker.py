"""One browser tab's server: a trame-slicer app with its own MRML scene and logics, on a loopback
port the launcher proxies to (see launcher.py: one worker per tab, so tabs never share a case).

    python -m RadiographQCWeb.worker --port N --export DIR [--profile FILE ...] INPUT...
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

# Rendering is offscreen (no display on a server): EGL, else VTK falls back to X and warns.
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m RadiographQCWeb.worker", description=__doc__)
    parser.add_argument("inputs", nargs="+", metavar="IMAGE_OR_FOLDER")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--export", required=True, metavar="DIR")
    parser.add_argument("--profile", action="append", default=[], metavar="FILE")
    return parser


def profile_choices(files) -> dict:
    """{module: {label: path or None}}: the published defaults, then each file given that is a valid
    profile of that module (a file may hold the criteria of one module only)."""
    from radiographqc.errors import RadiographQCError
    from radiographqc.profile import load_profile

    choices = {"wrist": {"published defaults": None}, "lumbar": {"published defaults": None}}
    for path in files:
        for module in choices:
            try:
                profile = load_profile(module, path)
            except (RadiographQCError, ValueError, OSError):
                continue
            name = profile.get("name") or Path(path).stem
            choices[module][f"{name} ({Path(path).name})"] = str(path)
    return choices


def build(server, inputs, export_dir, profile_files):
    """The page of one tab on `server`: scene, logics, session, page (what a test can build too)."""
    from trame_slicer import module as trame_slicer_module
    from trame_slicer.core import SlicerApp

    import RadiographQCWeb  # noqa: F401 - puts the module folders on sys.path
    from LumbarQCLib.logic import LumbarQCLogic
    from WristQCLib.logic import WristQCLogic

    from .app import ReviewPage
    from .editing import LumbarBrush
    from .review import ReviewSession
    from .teaching import QuizPanel, QuizSession, TeachingPanel, TeachingSession

    server.enable_module(trame_slicer_module)
    slicer_app = SlicerApp()
    logics = {"wrist": WristQCLogic(slicer_app.scene), "lumbar": LumbarQCLogic(slicer_app.scene)}
    warm_up(logics)
    session = ReviewSession(slicer_app.scene, logics, inputs, export_dir)
    brush = LumbarBrush(slicer_app, logics["lumbar"])
    panels = (TeachingPanel(TeachingSession(slicer_app.scene)), QuizPanel(QuizSession(slicer_app.scene)))
    return ReviewPage(server, slicer_app, session, profile_choices(profile_files), brush=brush, panels=panels)


def end_with_parent(interval_s: float = 2.0):
    """A worker runs in a session of its own (the launcher ends it by pid): if the launcher itself is
    killed without stopping it, the worker notices its new parent and ends too."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(interval_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="end-with-parent").start()


def warm_up(logics: dict) -> None:
    """Load the bundled models now: a worker is started ahead of its tab, so the reviewer's first
    case does not wait for them. A missing or broken model is reported when a case needs it."""
    from radiographqc.errors import RadiographQCError

    wrist, lumbar = logics["wrist"], logics["lumbar"]
    loads = [lambda view=view: wrist.detector.model(view) for view in wrist.detector.model_ids]
    loads += [lambda: wrist.artefacts.model, lambda: lumbar.segmenter.model]
    for load in loads:
        try:
            load()
        except RadiographQCError:
            pass


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from trame.app import get_server

    end_with_parent()
    server = get_server(client_type="vue3")
    build(server, args.inputs, Path(args.export), args.profile)
    server.start(host="127.0.0.1", port=args.port, open_browser=False, show_connection_info=False,
                 disable_logging=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
