#!/usr/bin/python3
"""Timing of `beyond eval coco` (bbox and segm) on generated COCO files, and of the numpy reference
evaluator (tests/parity/coco_eval_reference.py) as a stand-in for pycocotools, which Debian 12
does not package.

    /usr/bin/python3 bench/coco_eval_bench.py build/apps/beyond/beyond [--images 5000 --dets 100] [--out DIR]

Reports, per size and type: whole-process seconds of `beyond eval coco` (median of --repeat runs),
the evaluation alone (the CLI's own log line: reading vs evaluating), the CLI's start-up cost
(`beyond --help`, which runs beyond-torch: loading LibTorch and friends; `beyond eval coco` runs
without LibTorch and does not pay it), and on the small set (300 images x 30 detections)
the reference's whole-process time and the ratio. The data are deterministic (fixed seeds).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "parity"))
import coco_synth  # noqa: E402

REFERENCE = os.path.join(HERE, "..", "tests", "parity", "coco_eval_reference.py")
LOG = re.compile(r"in ([0-9.e-]+) s; evaluated \((\w+)\) in ([0-9.e-]+) s")


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")
    return wall, p.stdout + p.stderr


def bench_cli(cli, paths, kind, repeat, threads):
    walls, reads, evals = [], [], []
    for _ in range(repeat):
        wall, out = timed([cli, "--threads", str(threads), "eval", "coco", "--gt", paths["gt"], "--pred", paths[kind], "--type", kind])
        m = LOG.search(out)
        walls.append(wall)
        reads.append(float(m.group(1)))
        evals.append(float(m.group(3)))
    return statistics.median(walls), statistics.median(reads), statistics.median(evals)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--dets", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None, help="keep the generated files here")
    ap.add_argument("--threads", type=int, default=0, help="beyond --threads (0: one per core)")
    args = ap.parse_args()
    work = args.out or tempfile.mkdtemp(prefix="coco_eval_bench_")

    startup = statistics.median(timed([args.cli, "--help"])[0] for _ in range(5))
    print(f"beyond --help (start-up of the LibTorch commands; eval coco does not pay it): {startup:.3f} s")

    small = coco_synth.make_case(os.path.join(work, "small"), seed=300, n_images=300, max_objects=8,
                                 big_image=False, dets_per_image=30)
    print("300 images x 30 detections:")
    for kind in ("bbox", "segm"):
        ref = statistics.median(timed(["/usr/bin/python3", REFERENCE, small["gt"], small[kind], kind])[0]
                                for _ in range(args.repeat))
        wall, read, ev = bench_cli(args.cli, small, kind, args.repeat, args.threads)
        print(f"  {kind:5s} reference (numpy, whole process) {ref:7.3f} s | beyond whole process {wall:.3f} s "
              f"(read {read:.3f} s, evaluate {ev:.3f} s) | reference / beyond: whole process {ref / wall:.1f}x, "
              f"reference / (read + evaluate) {ref / (read + ev):.1f}x | pycocotools' ~1.5 s / beyond whole process "
              f"{1.5 / wall:.0f}x")

    t0 = time.perf_counter()
    big_dir = os.path.join(work, "big")
    stamp = os.path.join(big_dir, "params.txt")
    params = f"{args.images} {args.dets} seed 5000\n"
    names = ("gt", "gt_person", "bbox", "segm", "segm_with_box", "keypoints")
    if os.path.exists(stamp) and open(stamp).read() == params:  # same deterministic files: reuse
        big = {n: os.path.join(big_dir, n + ".json") for n in names}
    else:
        big = coco_synth.make_case(big_dir, seed=5000, n_images=args.images, max_objects=8, big_image=False,
                                   dets_per_image=args.dets)
        with open(stamp, "w") as f:
            f.write(params)
    print(f"{args.images} images x {args.dets} detections (generated in {time.perf_counter() - t0:.0f} s):")
    for kind in ("bbox", "segm"):
        wall, read, ev = bench_cli(args.cli, big, kind, args.repeat, args.threads)
        print(f"  {kind:5s} beyond whole process {wall:.3f} s (read {read:.3f} s, evaluate {ev:.3f} s)")
    print(f"files in {work}")


if __name__ == "__main__":
    main()
