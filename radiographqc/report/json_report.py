"""JSON report writer: one file per image, written atomically so an interrupted batch leaves no half files."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path


def _clean(value):
    """Make a report JSON-safe: NaN/inf -> None, tuples -> lists, numpy scalars -> Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_to_json(report: dict) -> str:
    return json.dumps(_clean(report), indent=2, ensure_ascii=False, allow_nan=False)


def write_text_atomic(path: Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(report: dict, path) -> Path:
    return write_text_atomic(Path(path), report_to_json(report) + "\n")
