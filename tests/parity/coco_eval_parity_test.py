#!/usr/bin/python3
"""`beyond eval coco` against the independent numpy reference (coco_eval_reference.py) on generated
files: the 12 (keypoints: 10) stats and the per-category AP must agree to 1e-9, and the printed
summary lines must be identical.

    /usr/bin/python3 coco_eval_parity_test.py PATH/TO/beyond
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coco_eval_reference as ref  # noqa: E402
import coco_synth  # noqa: E402


def check(cli, paths, pred, iou_type, work):
    out_json = os.path.join(work, f"out_{pred}.json")
    gt_path = paths["gt_person" if iou_type == "keypoints" else "gt"]
    p = subprocess.run([cli, "-q", "eval", "coco", "--gt", gt_path, "--pred", paths[pred], "--type", iou_type,
                        "--json", out_json], capture_output=True, text=True)
    assert p.returncode == 0, f"beyond eval coco failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    mine = json.load(open(out_json))
    gt = ref.load_gt(gt_path)
    want = ref.evaluate(gt, ref.load_results(paths[pred], gt), iou_type)
    got_stats = list(mine["stats"].values())
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(got_stats, want["stats"])) if abs(a - b) > 1e-9]
    assert len(got_stats) == len(want["stats"]) and not bad, \
        f"{pred}: stats differ (index, beyond, reference): {bad}\nbeyond:\n{p.stdout}\nreference:\n{want['summary']}"
    for name, v in want["per_category"].items():
        assert abs(mine["per_category"][name] - v) <= 1e-9, f"{pred}: AP of {name}: {mine['per_category'][name]} vs {v}"
    assert want["summary"] in p.stdout, f"{pred}: summary lines differ:\n{p.stdout}\nvs\n{want['summary']}"
    return want["stats"]


def main():
    cli = sys.argv[1]
    cases = [dict(seed=1, n_images=40), dict(seed=2, n_images=25, dets_per_object=3, max_objects=9),
             dict(seed=3, n_images=30, false_positives=0)]
    with tempfile.TemporaryDirectory() as work:
        for case in cases:
            paths = coco_synth.make_case(os.path.join(work, f"case{case['seed']}"), **case)
            for pred, iou_type in [("bbox", "bbox"), ("segm", "segm"), ("segm_with_box", "segm"),
                                   ("keypoints", "keypoints")]:
                stats = check(cli, paths, pred, iou_type, work)
                # the files must exercise the definition: not everything perfect, not everything absent
                assert 0 < stats[0] < 1, f"case {case}: {pred} AP {stats[0]} is degenerate"
                print(f"seed {case['seed']} {pred:14s} AP {stats[0]:.4f} AP50 {stats[1]:.4f}: equal")
    print("coco eval parity: OK")


if __name__ == "__main__":
    main()
