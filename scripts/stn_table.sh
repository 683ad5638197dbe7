#!/usr/bin/env bash
# The Spatial Transformer table on distorted Fashion-MNIST: 4 distortion families (r, rts, p, e) x 5 models
# (fcn, st-fcn, cnn, st-cnn, cnn + augmentation) = 20 trainings with the schedule of configs/stn.yaml, two at
# a time with one thread each, then a markdown table of test error in percent.
#
#   scripts/stn_table.sh [OUT_DIR (default runs/stn_table)] [extra `beyond train` arguments, e.g. --set train.steps=500]
#
# Environment: BEYOND (the CLI, default build/apps/beyond/beyond), JOBS (parallel runs, default 2),
# FAMILIES (default "r rts p e"; a subset runs only those columns).
# A run whose eval.json exists is skipped, so an interrupted table resumes where it stopped.
set -euo pipefail
OUT=${1:-runs/stn_table}
shift || true
EXTRA=("$@")
BEYOND=${BEYOND:-build/apps/beyond/beyond}
JOBS=${JOBS:-2}
read -r -a FAMILIES <<<"${FAMILIES:-r rts p e}"
MODELS=(fcn st-fcn cnn st-cnn cnn-augment)
mkdir -p "$OUT"

run_one() {  # family model
  local family=$1 model=$2 kind=$2 augment=()
  if [[ $model == cnn-augment ]]; then kind=cnn; augment=(--augment); fi
  local dir="$OUT/$family-$model"
  if [[ -f $dir/eval.json ]]; then echo "skip $dir (done)"; return 0; fi
  local start=$SECONDS
  "$BEYOND" --threads 1 --quiet train stn --distortion "$family" --model "$kind" "${augment[@]}" \
    --out "$dir" "${EXTRA[@]}" >"$OUT/$family-$model.log" 2>&1
  echo "done $dir in $((SECONDS - start)) s"
}
export -f run_one
export OUT BEYOND
EXTRA_Q=""
[[ ${#EXTRA[@]} -gt 0 ]] && EXTRA_Q=$(printf '%q ' "${EXTRA[@]}")  # none: no empty argument
export EXTRA_Q

start=$SECONDS
for family in "${FAMILIES[@]}"; do
  for model in "${MODELS[@]}"; do echo "$family $model"; done
done | xargs -P "$JOBS" -L 1 bash -c 'eval "EXTRA=($EXTRA_Q)"; run_one "$0" "$1"'
echo "all runs finished in $((SECONDS - start)) s"

# Markdown table: one row per model, one column per family; test error in percent.
error_of() {  # dir
  if [[ -f $1/eval.json ]]; then
    sed -n 's/.*"test_error": *\([0-9.eE+-]*\).*/\1/p' "$1/eval.json" | awk '{ printf "%.2f", $1 }'
  else
    printf 'n/a'
  fi
}
params_of() {
  [[ -f $1/eval.json ]] || return 0
  sed -n 's/.*"parameters": *\([0-9.eE+-]*\).*/\1/p' "$1/eval.json" | awk '{ printf "%d", $1 }'
}
{
  echo "| model | R | RTS | P | E | parameters (R / RTS) |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for model in "${MODELS[@]}"; do
    row="| $model"
    for family in r rts p e; do row+=" | $(error_of "$OUT/$family-$model")"; done
    row+=" | $(params_of "$OUT/r-$model") / $(params_of "$OUT/rts-$model") |"
    echo "$row"
  done
} | tee "$OUT/table.md"
