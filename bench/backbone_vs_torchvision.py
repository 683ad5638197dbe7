#!/usr/bin/python3
"""ResNet-50-FPN backbone forward on one 800x1067 image: beyond (C++) vs torchvision, identical weights
(fasterrcnn_resnet50_fpn(weights=None).backbone, eval mode), same thread count; beyond also with the
norms folded into the convolutions and / or channels-last. Checks that every variant's maps agree.

    /usr/bin/python3 bench/backbone_vs_torchvision.py --tool build/tests/backbone_forward [--threads 2]
        [--repeat 3] [--size 1x3x800x1067]

Prints one line per variant (best and mean seconds per forward, speed-up over torchvision) and a JSON
summary line.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import export_torchvision as tv  # noqa: E402
from beyond_safetensors import load  # noqa: E402


def time_torchvision(model, images, repeat):
    with torch.no_grad():
        out = model(images)  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            model(images)
            times.append(time.perf_counter() - t0)
    return min(times), sum(times) / len(times), out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tool", default="build/tests/backbone_forward")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--size", default="1x3x800x1067")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    size = tuple(int(s) for s in a.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = tv.export("resnet50_fpn", tmp, seed=0, size=size)
        model, _ = tv.build("resnet50_fpn", seed=0)
        images = load(paths["inputs"])["images"]
        best, mean, ref = time_torchvision(model, images, a.repeat)
        rows = [("torchvision", best, mean, 0.0)]
        for label, flags in [("beyond", []), ("beyond folded", ["--fold"]), ("beyond channels-last", ["--channels-last"]),
                             ("beyond folded+channels-last", ["--fold", "--channels-last"])]:
            out = os.path.join(tmp, "out.safetensors")
            r = subprocess.run([a.tool, "resnet50_fpn", paths["inputs"], out, "--weights", paths["weights"],
                                "--repeat", str(a.repeat), "--threads", str(a.threads), *flags],
                               capture_output=True, text=True, check=True)
            t = json.loads(r.stdout.strip().splitlines()[-1])
            ours = load(out)
            err = max(float((ours[k] - ref[k]).abs().max() / ref[k].abs().max()) for k in ref)
            rows.append((label, t["best_s"], t["mean_s"], err))
    print(f"resnet50-FPN backbone forward, input {a.size}, {a.threads} threads, best of {a.repeat}")
    for label, best, mean, err in rows:
        print(f"  {label:30s} best {best:7.3f} s  mean {mean:7.3f} s  speed-up {rows[0][1] / best:5.2f}x"
              f"  max rel. diff {err:.1e}")
    print(json.dumps({"threads": a.threads, "size": a.size,
                      "results": {label: {"best_s": round(b, 4), "mean_s": round(m, 4), "max_rel_diff": e}
                                  for label, b, m, e in rows}}))


if __name__ == "__main__":
    main()
