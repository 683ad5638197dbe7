#!/usr/bin/env bash
# Dense-CRF post-processing of an FCN on `scenes`, with its parameters chosen on val and reported on test.
#   scripts/crf_postprocess.sh RUN_DIR DATA_DIR OUT_DIR
# 1. `beyond segment --probs` writes the FCN's softmax probabilities for val and test.
# 2. A grid over the bilateral kernel (compat w1, sxy theta_alpha, srgb theta_beta; the Gaussian kernel
#    stays at w2 = 3, theta_gamma = 3; 10 iterations) is scored on the first VAL_SEARCH val images by mIoU.
# 3. The best setting runs on all of val and test; FCN alone and FCN + CRF are scored with `beyond eval seg`
#    (mIoU, pixel accuracy, boundary F at 2 px). The table goes to OUT_DIR/summary.md.
# Environment: BEYOND (default build/apps/beyond/beyond), JOBS (parallel CRF processes, default 2),
# VAL_SEARCH (default 100), W1S / SXYS / SRGBS (space-separated grids).
set -euo pipefail
run=${1:?run directory of an FCN training}
data=${2:?scenes data folder}
out=${3:?output folder}
beyond=${BEYOND:-build/apps/beyond/beyond}
jobs=${JOBS:-2}
val_search=${VAL_SEARCH:-100}
w1s=${W1S:-"3 5 10"}
sxys=${SXYS:-"10 30 80"}
srgbs=${SRGBS:-"3 8 13"}
mkdir -p "$out"

# FCN probabilities and labels for both splits
for split in val test; do
  [[ -f "$out/fcn_$split/done" ]] && continue
  "$beyond" segment --weights "$run" "$data/$split"/images/*.png --out "$out/fcn_$split" --probs
  touch "$out/fcn_$split/done"
done
probs=("$out"/fcn_val/*_probs.npy)
num_classes=$(/usr/bin/python3 -c "import numpy,sys; print(numpy.load(sys.argv[1]).shape[0])" "${probs[0]}")
echo "classes (with background): $num_classes"

# crf SPLIT NAME W1 SXY SRGB [LIMIT]: CRF labels of a split into OUT/NAME/
crf() {
  local split=$1 name=$2 w1=$3 sxy=$4 srgb=$5 limit=${6:-0}
  mkdir -p "$out/$name"
  local images=("$data/$split"/images/*.png)
  [[ $limit -gt 0 ]] && images=("${images[@]:0:$limit}")
  printf '%s\n' "${images[@]}" | OMP_NUM_THREADS=1 xargs -P "$jobs" -I{} sh -c \
    'stem=$(basename {} .png); "$0" crf --image {} --probs "$1/fcn_'"$split"'/${stem}_probs.npy" --out "$1/'"$name"'/$stem.png" \
       --bilateral-compat '"$w1"' --bilateral-sxy '"$sxy"' --bilateral-srgb '"$srgb"' 2>/dev/null' "$beyond" "$out"
}
# score SPLIT PRED_DIR JSON [LIMIT]: mIoU etc. of the predictions (the first LIMIT ground-truth labels)
score() {
  local split=$1 pred=$2 json=$3 limit=${4:-0} gt="$data/$split/labels"
  if [[ $limit -gt 0 ]]; then
    gt="$out/gt_${split}_$limit"
    if [[ ! -d $gt ]]; then
      local labels=("$data/$split"/labels/*.png)
      mkdir -p "$gt" && cp "${labels[@]:0:$limit}" "$gt/"
    fi
  fi
  "$beyond" eval seg --gt "$gt" --pred "$pred" --num-classes "$num_classes" --boundary-tolerance 2 --json "$json" >/dev/null
}
field() { /usr/bin/python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

# the search on val
best="" best_miou=0
score val "$out/fcn_val" "$out/search_fcn.json" "$val_search"
echo "search on $val_search val images: FCN alone mIoU $(field "$out/search_fcn.json" mIoU)" | tee "$out/search.txt"
for w1 in $w1s; do for sxy in $sxys; do for srgb in $srgbs; do
  name="search_w${w1}_sxy${sxy}_srgb${srgb}"
  crf val "$name" "$w1" "$sxy" "$srgb" "$val_search"
  score val "$out/$name" "$out/$name.json" "$val_search"
  miou=$(field "$out/$name.json" mIoU)
  echo "w1 $w1 sxy $sxy srgb $srgb: mIoU $miou  BF $(field "$out/$name.json" boundary_f)" | tee -a "$out/search.txt"
  if /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$miou" "$best_miou"; then
    best="$w1 $sxy $srgb"; best_miou=$miou
  fi
  rm -rf "${out:?}/$name"
done; done; done
read -r w1 sxy srgb <<<"$best"
echo "best on val: w1 $w1 sxy $sxy srgb $srgb (mIoU $best_miou)" | tee -a "$out/search.txt"

# the chosen setting on all of val and test
{
  echo "| split | model | mIoU | pixel acc. | boundary F (2 px) |"
  echo "| --- | --- | --- | --- | --- |"
  for split in val test; do
    crf "$split" "crf_$split" "$w1" "$sxy" "$srgb"
    score "$split" "$out/fcn_$split" "$out/fcn_$split.json"
    score "$split" "$out/crf_$split" "$out/crf_$split.json"
    for m in fcn crf; do
      j="$out/${m}_$split.json"
      label=$([[ $m == fcn ]] && echo "FCN" || echo "FCN + CRF (w1 $w1, sxy $sxy, srgb $srgb)")
      echo "| $split | $label | $(field "$j" mIoU) | $(field "$j" pACC) | $(field "$j" boundary_f) |"
    done
  done
} | tee "$out/summary.md"
