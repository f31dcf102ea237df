"""Self-contained HTML report (inline CSS, image embedded as base64 PNG): one file a person can open or mail."""
from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from .json_report import write_text_atomic

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1b1b1b;max-width:1500px}
h1{font-size:1.4em;margin:0 0 4px} .sub{color:#555;margin-bottom:16px}
.layout{display:flex;gap:24px;flex-wrap:wrap} .pic img{max-width:620px;width:100%;border:1px solid #999}
.grade{display:inline-block;font-size:2em;font-weight:700;padding:4px 16px;border-radius:8px;color:#fff}
.A{background:#2e7d32}.B{background:#689f38}.C{background:#f9a825}.D{background:#c62828}
.ok{background:#2e7d32}.bad{background:#c62828}
table{border-collapse:collapse;font-size:.9em;margin:8px 0} th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0} tr.fail td{background:#fdecea} tr.poor td{background:#fff4e5} tr.na td{color:#777;background:#f6f6f6}
.advice{font-weight:600} .meta td{border:none;padding:1px 8px 1px 0} .low{color:#c62828;font-weight:700}
"""


def _fmt(value, unit=None):
    if value is None:
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_fmt(v, unit)}" for k, v in value.items())
    if isinstance(value, float):
        value = f"{value:.2f}"
    return f"{value} {unit}" if unit else str(value)


def _row_class(entry):
    if entry.get("assessable") is False or entry.get("passed") is None:
        return "na"
    if entry.get("rating") in ("fail",) or entry.get("passed") is False:
        return "fail"
    return "poor" if entry.get("rating") == "poor" else ""


def _items_table(items):
    rows = []
    for it in items:
        rows.append(
            f"<tr class='{_row_class(it)}'><td>{escape(it['id'])}</td><td>{escape(it.get('label', ''))}</td>"
            f"<td>{escape(_fmt(it.get('value'), it.get('unit')))}</td><td>{escape(it.get('band') or '')}</td>"
            f"<td>{'n/a' if not it.get('assessable', True) else it['score']}/{it['max']}</td>"
            f"<td>{escape(it.get('rating') or '')}</td><td>{escape(it.get('explanation') or '')}"
            f"{'<br><span class=advice>' + escape(it['advice']) + '</span>' if it.get('advice') else ''}</td></tr>")
    return ("<table><tr><th>item</th><th>criterion</th><th>measured</th><th>band</th><th>points</th>"
            "<th>rating</th><th>explanation / what to change</th></tr>" + "".join(rows) + "</table>")


def _rules_table(rules):
    rows = []
    for r in rules:
        verdict = {True: "pass", False: "FAIL", None: "not assessable"}[r.get("passed")]
        rows.append(
            f"<tr class='{_row_class(r)}'><td>{escape(r['id'])}</td><td>{escape(r.get('label', ''))}</td>"
            f"<td>{escape(_fmt(r.get('value')))}</td><td>{escape(_fmt(r.get('threshold')))}</td>"
            f"<td>{verdict}</td><td>{escape(', '.join(r.get('structures', [])))}</td>"
            f"<td>{escape(r.get('explanation') or '')}"
            f"{'<br><span class=advice>' + escape(r['advice']) + '</span>' if r.get('advice') else ''}</td></tr>")
    return ("<table><tr><th>rule</th><th>criterion</th><th>measured</th><th>threshold</th><th>result</th>"
            "<th>structures</th><th>explanation / what to change</th></tr>" + "".join(rows) + "</table>")


def _keypoints_table(keypoints):
    if not keypoints:
        return ""
    rows = []
    for name, p in sorted(keypoints.items()):
        xy = "absent" if p.get("xy") is None else f"({p['xy'][0]:.1f}, {p['xy'][1]:.1f})"
        conf = p.get("confidence")
        flag = bool(p.get("review"))
        conf_txt = "—" if conf is None else f"{conf:.2f}"
        rows.append(f"<tr><td>{name}</td><td>{escape(p.get('name', ''))}</td><td>{xy}</td>"
                    f"<td class='{'low' if flag else ''}'>{conf_txt}{' review' if flag else ''}</td></tr>")
    return ("<h3>Keypoints (pixel column, row)</h3><table><tr><th>id</th><th>point</th><th>position</th>"
            "<th>confidence</th></tr>" + "".join(rows) + "</table>")


def _meta(report):
    src = report.get("source", {})
    spacing = src.get("spacing")
    spacing_txt = ("not available — distances not assessable" if not spacing else
                   f"{spacing['row_mm']:.4g} × {spacing['col_mm']:.4g} mm ({spacing['source']})")
    prof = report.get("profile", {})
    models = ", ".join(f"{m['id']} {m['version']}" for m in report.get("models", [])) or "none"
    rows = [("file", src.get("path", "")), ("pixel spacing", spacing_txt),
            ("image", f"{src.get('cols', '?')} × {src.get('rows', '?')} px, {src.get('photometric', '')}, "
                      f"{src.get('transfer_syntax') or ''}"),
            ("view", f"{report.get('view')} (from {src.get('view_source', '?')})"),
            ("criteria profile", f"{prof.get('name', '')} {prof.get('version', '')}"), ("models", models),
            ("RadiographQC", f"{report.get('software', {}).get('version', '')}, {report.get('created', '')}")]
    return "<table class=meta>" + "".join(f"<tr><td>{k}</td><td>{escape(str(v))}</td></tr>" for k, v in rows) + "</table>"


def _verdict(report):
    if report.get("module") == "lumbar":
        ok = report.get("qualified")
        return f"<span class='grade {'ok' if ok else 'bad'}'>{'QUALIFIED' if ok else 'UNQUALIFIED'}</span>"
    note = ""
    if report.get("max_assessable", 100) < report.get("max_total", 100):
        note = (f" — {report['max_total'] - report['max_assessable']} of {report['max_total']} points not "
                f"assessable; grade on {escape(str(report.get('grade_basis', '')))}")
    return (f"<span class='grade {escape(report['grade'])}'>{escape(report['grade'])}</span> "
            f"<b>{report['total']}</b> / {report['max_assessable']} assessable points{note}")


def render_html(report: dict, png: bytes | None) -> str:
    title = f"{report.get('module', '').title()}QC — {Path(report.get('source', {}).get('path', '')).name}"
    picture = (f"<div class=pic><img alt='radiograph with measurements' src='data:image/png;base64,"
               f"{base64.b64encode(png).decode()}'></div>") if png else ""
    table = _rules_table(report["rules"]) if "rules" in report else _items_table(report.get("items", []))
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1>"
            f"<div class=sub>{report.get('view', '')} view</div><p>{_verdict(report)}</p>"
            f"<div class=layout>{picture}<div>{_meta(report)}"
            f"{_keypoints_table(report.get('keypoints'))}</div></div>{table}</body></html>\n")


def write_html(report: dict, png: bytes | None, path) -> Path:
    return write_text_atomic(Path(path), render_html(report, png))
