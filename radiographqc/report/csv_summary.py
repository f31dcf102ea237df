"""Batch summary: one row per input file, failed files included with their error."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .json_report import write_text_atomic

BASE_COLUMNS = ("file", "status", "error", "module", "view", "grade", "total", "max_assessable",
                "qualified", "report")


def summary_row(path, report: dict | None = None, error: str | None = None, report_path=None) -> dict:
    row = {"file": str(path), "status": "ok" if error is None else "error", "error": error or ""}
    if report:
        for key in ("module", "view", "grade", "total", "max_assessable", "qualified"):
            row[key] = report.get(key, "")
        for item in report.get("items", []):
            row[item["id"]] = item["score"] if item.get("assessable", True) else "n/a"
        for rule in report.get("rules", []):
            row[rule["id"]] = {True: "pass", False: "fail"}.get(rule.get("passed"), "n/a")
    if report_path:
        row["report"] = str(report_path)
    return row


def write_summary(rows: list[dict], path) -> Path:
    columns = list(BASE_COLUMNS)
    for row in rows:
        columns += [k for k in row if k not in columns]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return write_text_atomic(Path(path), buf.getvalue())
