"""Compare simulated with real radiographs and write a contact sheet.

    python -m radiographqc.simulate.realism [--data ../shared/data] [--n 200] [--out realism.png]

Prints (1) normalised wrist keypoint positions of the "routine" preset vs the clinical positions
in wrist-positions/*.csv (mean, SD, two-sample KS statistic), (2) image statistics of simulated
wrist/lumbar AP images vs the real hand-atlas / AASCE spine images: grey-level histogram
(percentiles after a 1-99 % stretch), edge sharpness (gradient magnitude percentiles per mm) and
noise (SD of the high-pass residual in flat regions).
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter, uniform_filter
from scipy.stats import ks_2samp

from .generate import simulate_case

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
POINTS = {"AP": ("p1", "p2", "p3"), "LAT": ("p1", "p2", "p3", "p4", "p5")}


def real_positions(data: Path, view: str) -> dict[str, np.ndarray]:
    rows = list(csv.DictReader(open(data / "wrist-positions" / f"{view.lower()}_keypoints.csv")))
    out = {}
    for p in POINTS[view]:
        keep = [r for r in rows if r[f"{p}_present"] == "1"]
        out[f"{p}x"] = np.array([float(r[f"{p}x"]) for r in keep])
        out[f"{p}y"] = np.array([float(r[f"{p}y"]) for r in keep])
    return out


def simulated_positions(view: str, n: int, seed: int) -> dict[str, np.ndarray]:
    values: dict[str, list] = {f"{p}{a}": [] for p in POINTS[view] for a in "xy"}
    for i in range(n):
        case, _ = simulate_case("wrist", view, "routine", seed, i, n, long_side=96)
        rows, cols = case.projection.rows, case.projection.cols
        for p in POINTS[view]:
            xy = case.keypoints[p.upper()]
            if xy is not None:
                values[f"{p}x"].append((xy[0] + 0.5) / cols)
                values[f"{p}y"].append((xy[1] + 0.5) / rows)
    return {k: np.array(v) for k, v in values.items()}


def position_table(data: Path, n: int, seed: int) -> list[str]:
    lines = [f"{'view':4} {'coord':5} {'real mean':>9} {'sd':>6} {'sim mean':>9} {'sd':>6} "
             f"{'KS':>5}"]
    for view in ("AP", "LAT"):
        real, sim = real_positions(data, view), simulated_positions(view, n, seed)
        for key in real:
            r, s = real[key], sim[key]
            if view == "AP" and key.endswith("x"):   # bimodal by side: compare |x - 0.5|
                r, s = np.abs(r - 0.5), np.abs(s - 0.5)
                key = f"|{key}-.5|"
            ks = ks_2samp(r, s).statistic if s.size else float("nan")
            lines.append(f"{view:4} {key:5} {r.mean():9.3f} {r.std(ddof=1):6.3f} "
                         f"{s.mean():9.3f} {s.std(ddof=1):6.3f} {ks:5.2f}")
    return lines


def _stretch(img: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(img, [1, 99])
    return np.clip((img - lo) / max(hi - lo, 1e-6), 0, 1)


def image_stats(img: np.ndarray, pixel_mm: float) -> dict:
    """Grey-level percentiles, gradient per mm and high-pass noise of a [0, 1] image."""
    g = np.hypot(*np.gradient(gaussian_filter(img, 0.7))) / pixel_mm
    resid = img - gaussian_filter(img, 1.5)
    local_sd = np.sqrt(np.maximum(uniform_filter(resid ** 2, 9), 0))
    flat = g < np.percentile(g, 30)
    return {"p10": np.percentile(img, 10), "p50": np.percentile(img, 50),
            "p90": np.percentile(img, 90), "grad_p50": np.percentile(g, 50),
            "grad_p99": np.percentile(g, 99), "noise": float(np.median(local_sd[flat]))}


def _real_images(data: Path, folder: str, count: int):
    info = {r["image"]: r for r in csv.DictReader(open(data / folder / "image_info.csv"))}
    names = sorted(info)[:count]
    for name in names:
        img = np.asarray(Image.open(data / folder / "images" / name).convert("L"), float) / 255
        r = info[name]
        # hand atlas: mm per stored pixel given; AASCE: assume a 0.4 mm original pitch
        mm = float(r.get("mm_per_px_wrist50") or 0.4 * float(r["orig_height"]) / float(r["height"]))
        yield img, mm


def image_table(data: Path, count: int, seed: int) -> tuple[list[str], dict]:
    lines = [f"{'set':22} {'p10':>5} {'p50':>5} {'p90':>5} {'grad50':>7} {'grad99':>7} {'noise':>6}"]
    sheet = {}
    groups = {
        "real hand-atlas": ("hand-atlas", None), "sim wrist AP": (None, ("wrist", "AP")),
        "sim wrist LAT": (None, ("wrist", "LAT")), "real AASCE spine": ("aasce-spine", None),
        "sim lumbar AP": (None, ("lumbar", "AP")), "sim lumbar LAT": (None, ("lumbar", "LAT")),
        "sim lumbar OBL": (None, ("lumbar", "OBL")),
    }
    for name, (folder, sim) in groups.items():
        if folder:
            items = list(_real_images(data, folder, count))
        else:
            items = []
            for i in range(count):
                case, _ = simulate_case(*sim, "routine", seed, i, count, long_side=1024)
                items.append((_stretch(case.image), case.projection.pixel_mm))
        stats = [image_stats(_stretch(img), mm) for img, mm in items]
        mean = {k: np.mean([s[k] for s in stats]) for k in stats[0]}
        lines.append(f"{name:22} {mean['p10']:5.2f} {mean['p50']:5.2f} {mean['p90']:5.2f} "
                     f"{mean['grad_p50']:7.3f} {mean['grad_p99']:7.3f} {mean['noise']:6.3f}")
        sheet[name] = [_stretch(img) for img, _ in items[:2]]
    return lines, sheet


def contact_sheet(sheet: dict, out: Path, height: int = 360) -> Path:
    tiles = []
    for name, images in sheet.items():
        for img in images:
            pil = Image.fromarray((img * 255).astype(np.uint8))
            tiles.append(np.asarray(pil.resize((max(int(pil.width * height / pil.height), 1),
                                                height))))
    width = sum(t.shape[1] for t in tiles) + 4 * len(tiles)
    canvas = np.zeros((height, width), np.uint8)
    x = 0
    for t in tiles:
        canvas[:, x:x + t.shape[1]] = t
        x += t.shape[1] + 4
    Image.fromarray(canvas).save(out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=200, help="simulated wrists per view for positions")
    parser.add_argument("--images", type=int, default=6, help="images per set for image statistics")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("realism-contact-sheet.png"))
    args = parser.parse_args(argv)
    print("\n".join(position_table(args.data, args.n, args.seed)))
    print()
    lines, sheet = image_table(args.data, args.images, args.seed)
    print("\n".join(lines))
    print(f"\ncontact sheet (left to right: {', '.join(sheet)}): {contact_sheet(sheet, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
