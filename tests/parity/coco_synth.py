"""Deterministic synthetic COCO ground truth and results files that exercise what the COCO
evaluation definition is fussy about: crowds (uncompressed RLE), polygons and compressed RLE, ties
in score, exact duplicate detections, images without ground truth, categories without detections
(and detections of categories without ground truth), objects of every area range, more detections
than maxDets on one image, and person keypoints with hidden / unlabelled points.

    make_case(out_dir, seed, n_images, dets_per_object) -> {"gt": path, "bbox": path, "segm": ..., ...}

Used by coco_eval_parity_test.py and bench/coco_eval_bench.py; plain Python + numpy.
"""
import json
import math
import os
import random

from coco_eval_reference import counts_to_string

CATEGORIES = [1, 3, 4, 7, 9]  # 1 = person (keypoints); 9 never gets a detection
PHANTOM_CATEGORY = 11          # detections only: not in the ground truth, must be skipped


def ellipse_counts(cx, cy, rx, ry, h, w):
    """Column-major runs of a filled ellipse, computed column by column (no pixel array)."""
    spans = []
    for x in range(max(0, int(math.floor(cx - rx))), min(w, int(math.ceil(cx + rx)) + 1)):
        dx = (x + 0.5 - cx) / rx
        if abs(dx) >= 1:
            continue
        half = ry * math.sqrt(1 - dx * dx)
        ya, yb = max(0, int(round(cy - half))), min(h, int(round(cy + half)))
        if yb > ya:
            spans.append((x * h + ya, x * h + yb))
    counts, pos = [], 0
    for s, e in spans:
        if counts and s == pos:
            counts[-1] += e - s
        else:
            counts += [s - pos, e - s]
        pos = e
    counts.append(h * w - pos)
    if not spans:
        counts = [h * w]
    return counts


def polygon(rng, cx, cy, rx, ry, n):
    pts = []
    for j in range(n):
        a = 2 * math.pi * (j + rng.uniform(0.1, 0.9)) / n
        pts += [round(cx + rx * math.cos(a), 2), round(cy + ry * math.sin(a), 2)]
    return pts


def shoelace(xy):
    n = len(xy) // 2
    s = 0.0
    for j in range(n):
        x0, y0, x1, y1 = xy[2 * j], xy[2 * j + 1], xy[2 * ((j + 1) % n)], xy[2 * ((j + 1) % n) + 1]
        s += x0 * y1 - x1 * y0
    return abs(s) / 2


def make_case(out_dir, seed, n_images=40, dets_per_object=2, max_objects=6, false_positives=3, big_image=True,
              dets_per_image=None):
    """Writes gt.json, gt_person.json and results files bbox / segm / segm_with_box / keypoints.json;
    with dets_per_image, every image gets exactly that many detections (false positives fill up)."""
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    images, anns, res = [], [], []
    ann_id = 1
    for i in range(n_images):
        img_id = 1000 + 7 * i  # not contiguous, not from 1
        w, h = rng.randint(40, 260), rng.randint(40, 260)
        images.append({"id": img_id, "file_name": f"{img_id}.png", "width": w, "height": h})
        n_obj = 0 if i % 7 == 3 else rng.randint(0, max_objects)  # every 7th image has no ground truth
        objects = []
        for _ in range(n_obj):
            cat = rng.choice(CATEGORIES)
            size = rng.choice([rng.uniform(3, 30), rng.uniform(30, 95), rng.uniform(95, 250)])
            rx = max(1.5, min(size, w - 2) / 2 * rng.uniform(0.6, 1.0))
            ry = max(1.5, min(size, h - 2) / 2 * rng.uniform(0.6, 1.0))
            cx, cy = rng.uniform(rx, w - rx), rng.uniform(ry, h - ry)
            crowd = rng.random() < 0.12
            ann = {"id": ann_id, "image_id": img_id, "category_id": cat, "iscrowd": int(crowd)}
            ann_id += 1
            style = "crowd" if crowd else rng.choice(["poly", "poly", "rle"])
            if style == "poly":
                polys = [polygon(rng, cx, cy, rx, ry, rng.randint(3, 9))]
                if rng.random() < 0.2:  # a second part
                    polys.append(polygon(rng, min(w - 2, cx + rx), cy, rx / 3 + 1, ry / 3 + 1, 4))
                xs = [v for p in polys for v in p[0::2]]
                ys = [v for p in polys for v in p[1::2]]
                ann["segmentation"] = polys
                ann["area"] = sum(shoelace(p) for p in polys)
                ann["bbox"] = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            else:
                counts = ellipse_counts(cx, cy, rx, ry, h, w)
                ann["segmentation"] = ({"counts": counts, "size": [h, w]} if crowd
                                       else {"counts": counts_to_string(counts), "size": [h, w]})
                ann["area"] = float(sum(counts[1::2]))
                ann["bbox"] = [round(cx - rx, 2), round(cy - ry, 2), round(2 * rx, 2), round(2 * ry, 2)]
            if cat == 1:
                kps = []
                unlabelled = rng.random() < 0.15
                for _ in range(17):
                    v = 0 if unlabelled else rng.choice([0, 1, 2, 2])
                    kps += [round(rng.uniform(cx - rx, cx + rx), 1), round(rng.uniform(cy - ry, cy + ry), 1), v]
                    if v == 0:
                        kps[-3:-1] = [0, 0]
                ann["keypoints"] = kps
                ann["num_keypoints"] = sum(1 for v in kps[2::3] if v > 0)
            anns.append(ann)
            objects.append((ann, cx, cy, rx, ry))

        def detection(cat, cx, cy, rx, ry, kps=None):
            score = round(rng.random(), 1)  # coarse: many ties, within and across images
            d = {"image_id": img_id, "category_id": cat, "score": score,
                 "bbox": [round(cx - rx, 2), round(cy - ry, 2), round(2 * rx, 2), round(2 * ry, 2)],
                 "segmentation": {"counts": counts_to_string(ellipse_counts(cx, cy, rx, ry, h, w)), "size": [h, w]}}
            if kps is not None:
                d["keypoints"] = kps
            return d

        first_det = len(res)
        for ann, cx, cy, rx, ry in objects:
            for _ in range(rng.randint(0, dets_per_object)):
                j = rng.uniform(0, 0.15)
                cat = ann["category_id"] if rng.random() < 0.85 else rng.choice(CATEGORIES[:-1] + [PHANTOM_CATEGORY])
                if cat == CATEGORIES[-1]:
                    cat = CATEGORIES[0]
                kps = None
                if cat == 1:
                    src = ann.get("keypoints") or [cx, cy, 2] * 17
                    kps = []
                    for k in range(17):
                        kps += [round(src[3 * k] + rng.gauss(0, 2 + rx * j), 2),
                                round(src[3 * k + 1] + rng.gauss(0, 2 + ry * j), 2), 1]
                d = detection(cat, cx + rng.gauss(0, rx * j), cy + rng.gauss(0, ry * j),
                              max(1.0, rx * rng.uniform(1 - j, 1 + j)), max(1.0, ry * rng.uniform(1 - j, 1 + j)), kps)
                res.append(d)
                if rng.random() < 0.1:  # an exact duplicate
                    res.append(dict(d))
        image_dets = res[first_det:]
        n_fp = rng.randint(0, false_positives) if dets_per_image is None else max(0, dets_per_image - len(image_dets))
        for _ in range(n_fp):
            rx, ry = rng.uniform(1.5, w / 3), rng.uniform(1.5, h / 3)
            cat = rng.choice(CATEGORIES[:-1])
            kps = [v for k in range(17) for v in (round(rng.uniform(0, w), 2), round(rng.uniform(0, h), 2), 1)] \
                if cat == 1 else None
            res.append(detection(cat, rng.uniform(rx, w - rx), rng.uniform(ry, h - ry), rx, ry, kps))
        if dets_per_image is not None:
            del res[first_det + dets_per_image:]
        if big_image and i == 1:  # more detections than maxDets on one image and category
            for _ in range(130):
                rx, ry = rng.uniform(2, w / 4), rng.uniform(2, h / 4)
                res.append(detection(3, rng.uniform(rx, w - rx), rng.uniform(ry, h - ry), rx, ry))

    cats = [{"id": c, "name": f"class{c}", "supercategory": "thing"} for c in CATEGORIES]
    cats[0]["name"] = "person"
    cats[0]["keypoints"] = [f"k{k}" for k in range(17)]
    cats[0]["skeleton"] = [[1, 2], [2, 3]]
    gt = {"info": {}, "licenses": [], "images": images, "annotations": anns, "categories": cats}
    paths = {"gt": os.path.join(out_dir, "gt.json")}
    with open(paths["gt"], "w") as f:
        json.dump(gt, f)

    person = dict(gt, categories=cats[:1], annotations=[a for a in anns if a["category_id"] == 1])
    paths["gt_person"] = os.path.join(out_dir, "gt_person.json")  # as COCO's person_keypoints files
    with open(paths["gt_person"], "w") as f:
        json.dump(person, f)

    def write(name, rows):
        paths[name] = os.path.join(out_dir, f"{name}.json")
        with open(paths[name], "w") as f:
            json.dump(rows, f)

    write("bbox", [{k: d[k] for k in ("image_id", "category_id", "score", "bbox")} for d in res])
    write("segm", [{k: d[k] for k in ("image_id", "category_id", "score", "segmentation")} for d in res])
    write("segm_with_box", res)  # loadRes takes the box branch: area = w * h even for segm
    write("keypoints", [{k: d[k] for k in ("image_id", "category_id", "score", "keypoints")} for d in res
                        if "keypoints" in d])
    return paths
