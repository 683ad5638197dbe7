#!/usr/bin/env bash
# `beyond refine` on python3-skimage's photographs: a loose box around an object in each, refined by
# the dense CRF, drawn as image | coarse (box) | refined panels in OUT/refine_panels.png, with the
# masks in OUT/. Needs a built `beyond` (BEYOND=path, default build/apps/beyond/beyond) and Debian's
# python3 with numpy and PIL (python3-skimage, python3-pil).
#   scripts/refine_demo.sh [OUT]          (default runs/refine_demo)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/refine_demo}
BEYOND=${BEYOND:-build/apps/beyond/beyond}
DATA=${SKIMAGE_DATA:-/usr/lib/python3/dist-packages/skimage/data}
PY=/usr/bin/python3
mkdir -p "$OUT"
# name  image  box (x,y,w,h: a loose box drawn by hand around the object)
DEMOS=(
  "shuttle astronaut.png 340,0,150,292"
  "helmet astronaut.png 262,328,250,184"
  "cup coffee.png 50,8,460,392"
)
for demo in "${DEMOS[@]}"; do
  read -r name image box <<<"$demo"
  "$BEYOND" refine --image "$DATA/$image" --box "$box" --out "$OUT/$name.png" "${@:2}"
done
"$PY" - "$DATA" "$OUT" "${DEMOS[@]}" <<'PYEOF'
import sys
import numpy as np
from PIL import Image, ImageDraw

data, out = sys.argv[1], sys.argv[2]
rows = []
for line in sys.argv[3:]:
    name, image, box = line.split()
    x, y, w, h = map(int, box.split(","))
    rgb = np.asarray(Image.open(f"{data}/{image}").convert("RGB"), dtype=np.float32)
    refined = np.asarray(Image.open(f"{out}/{name}.png")) > 0
    coarse = np.zeros(refined.shape, bool)
    coarse[y:y + h, x:x + w] = True

    def overlay(mask):
        tinted = rgb.copy()
        tinted[~mask] *= 0.35  # background darkened
        im = Image.fromarray(tinted.astype(np.uint8))
        ImageDraw.Draw(im).rectangle([x, y, x + w - 1, y + h - 1], outline=(255, 220, 0), width=2)
        return im

    panel = [Image.fromarray(rgb.astype(np.uint8)), overlay(coarse), overlay(refined)]
    scale = 240 / rgb.shape[0]
    rows.append([p.resize((round(p.width * scale), 240), Image.BILINEAR) for p in panel])
    print(f"{name}: box {w * h} px -> refined {int(refined.sum())} px")
width = max(sum(p.width for p in r) + 8 * 2 for r in rows)
sheet = Image.new("RGB", (width, 240 * len(rows) + 8 * (len(rows) - 1)), (255, 255, 255))
for i, r in enumerate(rows):
    left = 0
    for p in r:
        sheet.paste(p, (left, i * 248))
        left += p.width + 8
sheet.save(f"{out}/refine_panels.png")
print(f"panels (image | box | refined): {out}/refine_panels.png")
PYEOF
