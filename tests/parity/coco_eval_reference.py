#!/usr/bin/python3
"""An independent COCO evaluator in numpy, written from the definition of the COCO API's evaluation
(pycocotools COCOeval + loadRes + maskApi), to check beyond's C++ evaluator against where pycocotools
itself cannot be installed (Debian 12 has no package for it).

    /usr/bin/python3 coco_eval_reference.py GT.json RESULTS.json bbox|segm|keypoints [OUT.json]

prints the 12-line (keypoints: 10-line) summary and writes {"stats": [...], "per_category": {...}}.

Written as straightforward loops over (category, area range, image), the way the definition reads,
not for speed; masks are decoded to numpy arrays and compared pixel by pixel.
"""
import json
import sys
import time

import numpy as np

EPS = np.spacing(1)
KEYPOINT_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                            1.07, 1.07, .87, .87, .89, .89]) / 10.0


# ----------------------------------------------------------------------------- masks
def counts_from_string(s, h, w):
    """COCO's compressed counts: 5 bits a char (offset 48), 0x20 = more, sign in 0x10 of the last
    char; from the fourth run on, each value is a difference to the run two before."""
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1f) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    assert sum(counts) == h * w, "counts do not sum to h*w"
    return counts


def counts_to_string(counts):
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1f
            x >>= 5
            more = (x != -1) if (ch & 0x10) else (x != 0)
            if more:
                ch |= 0x20
            out.append(chr(ch + 48))
    return "".join(out)


def decode(counts, h, w):
    """Row-major bool [h, w] from column-major runs starting with zeros."""
    flat = np.zeros(h * w, dtype=bool)
    pos, val = 0, False
    for c in counts:
        if val:
            flat[pos:pos + c] = True
        pos += c
        val = not val
    return flat.reshape(w, h).T


def polygon_counts(xy, h, w):
    """COCO's polygon rasterisation: the outline traced on a 5x finer grid, then, for every column
    crossing at a pixel centre, the first covered row; runs come from the sorted crossings."""
    scale = 5.0
    k = len(xy) // 2
    x = [int(scale * xy[2 * j] + .5) for j in range(k)] + [int(scale * xy[0] + .5)]
    y = [int(scale * xy[2 * j + 1] + .5) for j in range(k)] + [int(scale * xy[1] + .5)]
    u, v = [], []
    for j in range(k):
        xs, xe, ys, ye = x[j], x[j + 1], y[j], y[j + 1]
        dx, dy = abs(xe - xs), abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            xs, xe, ys, ye = xe, xs, ye, ys
        if dx >= dy:
            s = (ye - ys) / dx if dx else 0.0
            for d in range(dx + 1):
                t = dx - d if flip else d
                u.append(t + xs)
                v.append(int(ys + s * t + .5))
        else:
            s = (xe - xs) / dy
            for d in range(dy + 1):
                t = dy - d if flip else d
                v.append(t + ys)
                u.append(int(xs + s * t + .5))
    bx, by = [], []
    for j in range(1, len(u)):
        if u[j] == u[j - 1]:
            continue
        xd = float(u[j] if u[j] < u[j - 1] else u[j] - 1)
        xd = (xd + .5) / scale - .5
        if np.floor(xd) != xd or xd < 0 or xd > w - 1:
            continue
        yd = float(v[j] if v[j] < v[j - 1] else v[j - 1])
        yd = (yd + .5) / scale - .5
        yd = 0.0 if yd < 0 else (float(h) if yd > h else yd)
        yd = np.ceil(yd)
        bx.append(int(xd))
        by.append(int(yd))
    a = sorted([bx[j] * h + by[j] for j in range(len(bx))] + [h * w])
    diffs, prev = [], 0
    for t in a:
        diffs.append(t - prev)
        prev = t
    counts = [diffs[0]]
    j = 1
    while j < len(diffs):
        if diffs[j] > 0:
            counts.append(diffs[j])
            j += 1
        else:
            j += 1
            if j < len(diffs):
                counts[-1] += diffs[j]
                j += 1
    return counts


def segmentation_mask(seg, h, w):
    if isinstance(seg, list):
        m = np.zeros((h, w), dtype=bool)
        for poly in seg:
            m |= decode(polygon_counts(poly, h, w), h, w)
        return m
    if isinstance(seg["counts"], list):
        return decode(seg["counts"], *seg["size"])
    return decode(counts_from_string(seg["counts"], *seg["size"]), *seg["size"])


def mask_box(m):
    ys, xs = np.nonzero(m)
    if len(xs) == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]


# ----------------------------------------------------------------------------- files
def load_gt(path):
    with open(path) as f:
        d = json.load(f)
    return d


def load_results(path, gt):
    """loadRes: ids from 1, iscrowd 0; a box (if the first result has one) gives area w*h; otherwise
    a mask gives area and box; otherwise keypoints give them from their extent."""
    with open(path) as f:
        res = json.load(f)
    images = {im["id"]: im for im in gt["images"]}
    assert all(r["image_id"] in images for r in res), "results for images not in the ground truth"
    if not res:
        return res
    first = res[0]
    kind = ("bbox" if "bbox" in first and first["bbox"] != [] else
            "segm" if "segmentation" in first else "keypoints" if "keypoints" in first else None)
    for i, r in enumerate(res):
        r["id"] = i + 1
        r["iscrowd"] = 0
        if kind == "bbox":
            b = r["bbox"]
            r["area"] = b[2] * b[3]
        elif kind == "segm":
            im = images[r["image_id"]]
            m = segmentation_mask(r["segmentation"], im["height"], im["width"])
            r["area"] = float(m.sum())
            if "bbox" not in r:
                r["bbox"] = mask_box(m)
        elif kind == "keypoints":
            k = np.array(r["keypoints"], dtype=float)
            xs, ys = k[0::3], k[1::3]
            r["area"] = (xs.max() - xs.min()) * (ys.max() - ys.min())
            r["bbox"] = [xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()]
    return res


# ----------------------------------------------------------------------------- similarity
def box_iou(d, g, crowd):
    dx0, dy0, dw, dh = d
    gx0, gy0, gw, gh = g
    iw = min(dx0 + dw, gx0 + gw) - max(dx0, gx0)
    ih = min(dy0 + dh, gy0 + gh) - max(dy0, gy0)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = dw * dh if crowd else dw * dh + gw * gh - inter
    return inter / union


def mask_iou(dm, gm, crowd):
    inter = float(np.logical_and(dm, gm).sum())
    if inter == 0:
        return 0.0
    union = float(dm.sum()) if crowd else float(dm.sum() + gm.sum()) - inter
    return inter / union


def keypoint_similarity(d, g):
    """OKS with the gt's area; a gt without labelled keypoints is compared with a box twice its size."""
    kg = np.array(g["keypoints"], dtype=float)
    kd = np.array(d["keypoints"], dtype=float)
    vis = kg[2::3] > 0
    var = (KEYPOINT_SIGMAS * 2) ** 2
    if vis.any():
        dx = kd[0::3] - kg[0::3]
        dy = kd[1::3] - kg[1::3]
    else:
        x, y, w, h = g["bbox"]
        lo_x, hi_x, lo_y, hi_y = x - w, x + 2 * w, y - h, y + 2 * h
        dx = np.maximum(0, lo_x - kd[0::3]) + np.maximum(0, kd[0::3] - hi_x)
        dy = np.maximum(0, lo_y - kd[1::3]) + np.maximum(0, kd[1::3] - hi_y)
    e = (dx ** 2 + dy ** 2) / var / (g["area"] + EPS) / 2
    if vis.any():
        e = e[vis]
    return float(np.exp(-e).mean())


# ----------------------------------------------------------------------------- evaluation
def linspace(start, stop, num):
    return np.linspace(start, stop, num)


def evaluate(gt, dts, iou_type):
    iou_thrs = linspace(.5, .95, 10)
    rec_thrs = linspace(0.0, 1.0, 101)
    big = 1e5 ** 2
    if iou_type == "keypoints":
        max_dets = [20]
        areas = [("all", 0, big), ("medium", 32 ** 2, 96 ** 2), ("large", 96 ** 2, big)]
    else:
        max_dets = [1, 10, 100]
        areas = [("all", 0, big), ("small", 0, 32 ** 2), ("medium", 32 ** 2, 96 ** 2), ("large", 96 ** 2, big)]
    img_ids = sorted({im["id"] for im in gt["images"]})
    images = {im["id"]: im for im in gt["images"]}
    cats = sorted({c["id"] for c in gt["categories"]})
    names = {c["id"]: c["name"] for c in gt["categories"]}
    by_cell_gt, by_cell_dt = {}, {}
    for a in gt["annotations"]:
        by_cell_gt.setdefault((a["image_id"], a["category_id"]), []).append(a)
    for a in dts:
        by_cell_dt.setdefault((a["image_id"], a["category_id"]), []).append(a)
    T, R, K, A, M = len(iou_thrs), len(rec_thrs), len(cats), len(areas), len(max_dets)

    # per (category, area, image): (scores, matched[T,D], ignored[T,D], number of gt not ignored) or None
    cell = {}
    for k, c in enumerate(cats):
        for i in img_ids:
            g_all = by_cell_gt.get((i, c), [])
            d_all = by_cell_dt.get((i, c), [])
            if not g_all and not d_all:
                continue
            order = sorted(range(len(d_all)), key=lambda j: -d_all[j]["score"])  # Python's sort is stable
            d_all = [d_all[j] for j in order][:max_dets[-1]]
            im = images[i]
            sim = np.zeros((len(d_all), len(g_all)))
            if iou_type == "segm":
                gm = [segmentation_mask(g["segmentation"], im["height"], im["width"]) if "segmentation" in g
                      else None for g in g_all]
                dm = [segmentation_mask(d["segmentation"], im["height"], im["width"]) for d in d_all]
            for a_, d in enumerate(d_all):
                for b_, g in enumerate(g_all):
                    if iou_type == "bbox":
                        sim[a_, b_] = box_iou(d["bbox"], g["bbox"], g["iscrowd"])
                    elif iou_type == "segm":
                        sim[a_, b_] = mask_iou(dm[a_], gm[b_], g["iscrowd"])
                    else:
                        sim[a_, b_] = keypoint_similarity(d, g)
            for ai, (_, lo, hi) in enumerate(areas):
                def ignored_gt(g):
                    base = bool(g["iscrowd"])
                    if iou_type == "keypoints":
                        base = base or g["num_keypoints"] == 0
                    return base or g["area"] < lo or g["area"] > hi
                flags = [ignored_gt(g) for g in g_all]
                g_order = [j for j in range(len(g_all)) if not flags[j]] + [j for j in range(len(g_all)) if flags[j]]
                D, G = len(d_all), len(g_all)
                matched_id = np.zeros((T, D))
                has_match = np.zeros((T, D), dtype=bool)
                d_ign = np.zeros((T, D), dtype=bool)
                for t, thr in enumerate(iou_thrs):
                    taken = [False] * G
                    for di in range(D):
                        best, m = min(thr, 1 - 1e-10), None
                        for pos, gj in enumerate(g_order):
                            crowd = bool(g_all[gj]["iscrowd"])
                            if taken[pos] and not crowd:
                                continue
                            # once matched to a real object, ignored objects (sorted last) cannot win
                            if m is not None and not flags[g_order[m]] and flags[gj]:
                                break
                            if sim[di, gj] < best:
                                continue
                            best, m = sim[di, gj], pos
                        if m is None:
                            continue
                        gj = g_order[m]
                        taken[m] = True
                        has_match[t, di] = True
                        matched_id[t, di] = g_all[gj]["id"]
                        d_ign[t, di] = flags[gj]
                for di, d in enumerate(d_all):
                    if d["area"] < lo or d["area"] > hi:
                        d_ign[:, di] |= matched_id[:, di] == 0
                cell[k, ai, i] = ([d["score"] for d in d_all], matched_id != 0, d_ign,
                                  sum(1 for f in flags if not f))

    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    for k in range(K):
        for ai in range(A):
            for mi, md in enumerate(max_dets):
                entries = [cell[k, ai, i] for i in img_ids if (k, ai, i) in cell]
                if not entries:
                    continue
                n_gt = sum(e[3] for e in entries)
                if n_gt == 0:
                    continue
                scores = np.concatenate([np.array(e[0][:md], dtype=float) for e in entries])
                order = np.argsort(-scores, kind="stable")
                matched = np.concatenate([e[1][:, :md] for e in entries], axis=1)[:, order]
                ign = np.concatenate([e[2][:, :md] for e in entries], axis=1)[:, order]
                for t in range(T):
                    tp = np.cumsum(matched[t] & ~ign[t]).astype(float)
                    fp = np.cumsum(~matched[t] & ~ign[t]).astype(float)
                    rc = tp / n_gt
                    pr = tp / (fp + tp + EPS)
                    recall[t, k, ai, mi] = rc[-1] if len(rc) else 0
                    env = np.maximum.accumulate(pr[::-1])[::-1] if len(pr) else pr
                    q = np.zeros(R)
                    for ri, r in enumerate(rec_thrs):
                        hit = np.nonzero(rc >= r)[0]
                        if len(hit):
                            q[ri] = env[hit[0]]
                    precision[t, :, k, ai, mi] = q

    def summarize(ap, thr=None, area="all", md=100):
        ai = [n for n, a in enumerate(areas) if a[0] == area]
        mi = [n for n, m in enumerate(max_dets) if m == md]
        s = precision if ap else recall
        if thr is not None:
            s = s[np.where(iou_thrs == thr)[0]]
        s = s[:, :, :, ai, :][..., mi] if ap else s[:, :, ai, :][..., mi]
        v = s[s > -1]
        return float(np.mean(v)) if v.size else -1.0

    if iou_type == "keypoints":
        spec = [(1, None, "all", 20), (1, .5, "all", 20), (1, .75, "all", 20), (1, None, "medium", 20),
                (1, None, "large", 20), (0, None, "all", 20), (0, .5, "all", 20), (0, .75, "all", 20),
                (0, None, "medium", 20), (0, None, "large", 20)]
    else:
        spec = [(1, None, "all", 100), (1, .5, "all", 100), (1, .75, "all", 100), (1, None, "small", 100),
                (1, None, "medium", 100), (1, None, "large", 100), (0, None, "all", 1), (0, None, "all", 10),
                (0, None, "all", 100), (0, None, "small", 100), (0, None, "medium", 100), (0, None, "large", 100)]
    stats = [summarize(*s) for s in spec]
    lines = []
    for (ap, thr, area, md), v in zip(spec, stats):
        iou = "0.50:0.95" if thr is None else "{:0.2f}".format(thr)
        lines.append(" {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}".format(
            "Average Precision" if ap else "Average Recall", "(AP)" if ap else "(AR)", iou, area, md, v))
    per_cat = {}
    for k, c in enumerate(cats):
        v = precision[:, :, k, 0, -1]
        v = v[v > -1]
        per_cat[names[c]] = float(np.mean(v)) if v.size else -1.0
    return {"stats": stats, "per_category": per_cat, "summary": "\n".join(lines) + "\n"}


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    start = time.time()
    gt = load_gt(argv[1])
    dts = load_results(argv[2], gt)
    out = evaluate(gt, dts, argv[3])
    sys.stdout.write(out["summary"])
    if len(argv) > 4:
        with open(argv[4], "w") as f:
            json.dump({"stats": out["stats"], "per_category": out["per_category"],
                       "seconds": time.time() - start}, f)


if __name__ == "__main__":
    main(sys.argv)
