"""Images per second of the simulator (render + exposure + DICOM/truth files) per body and view.

    python benchmarks/bench_simulate.py [--n 40] [--size 768] [--jobs 2]
"""
import argparse
import os
import tempfile
import time

from radiographqc.simulate.generate import BODIES, generate


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--size", type=int, default=768, help="long side in pixels")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"{'body':7} {'view':4} {'images/s':>9}  (n={args.n}, long side {args.size} px, "
          f"{args.jobs} jobs)")
    for body, views in BODIES.items():
        for view in views:
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                generate(body, view, args.n, out, seed=1, jobs=args.jobs, long_side=args.size)
                rate = args.n / (time.perf_counter() - start)
            print(f"{body:7} {view:4} {rate:9.1f}")


if __name__ == "__main__":
    main()
