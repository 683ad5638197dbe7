#!/usr/bin/env bash
# The Spatial Transformer table on distorted Fashion-MNIST: 4 distortion families (r, rts, p, e) x 5 models
# (fcn, st-fcn, cnn, st-cnn, cnn + augmentation) = 20 trainings with the schedule of configs/stn.yaml, two at
# a time with one thread each, then a markdown table of test error in percent.
#
#   scripts/stn_table.sh [OUT_DIR (default runs/stn_table)] [extra `beyond train` arguments, e.g. --set train.steps=500]
#   SEEDS="1 2 3" MODELS="cnn st-cnn st-cnn-tps" FAMILIES="r e" scripts/stn_table.sh runs/stn_table
#
# Environment: BEYOND (the CLI, default build/apps/beyond/beyond), JOBS (parallel runs, default 2),
# FAMILIES (default "r rts p e"; a subset runs only those columns), MODELS (default "fcn st-fcn cnn
# st-cnn cnn-augment"; st-cnn-<transform> / st-fcn-<transform> add rows with another transformation
# family, e.g. st-cnn-tps, st-cnn-projective), SEEDS (default "1"; with several, each cell of the table
# is the mean and standard deviation over the seeds; seed s > 1 runs in <family>-<model>-s<s>).
# A run whose eval.json exists is skipped, so an interrupted table resumes where it stopped.
set -euo pipefail
OUT=${1:-runs/stn_table}
shift || true
EXTRA=("$@")
BEYOND=${BEYOND:-build/apps/beyond/beyond}
JOBS=${JOBS:-2}
read -r -a FAMILIES <<<"${FAMILIES:-r rts p e}"
read -r -a MODELS <<<"${MODELS:-fcn st-fcn cnn st-cnn cnn-augment}"
read -r -a SEEDS <<<"${SEEDS:-1}"
mkdir -p "$OUT"

run_dir() {  # family model seed
  if [[ $3 == 1 ]]; then echo "$OUT/$1-$2"; else echo "$OUT/$1-$2-s$3"; fi
}
run_one() {  # family model seed
  local family=$1 model=$2 seed=$3 kind=$2 flags=()
  if [[ $model == cnn-augment ]]; then kind=cnn; flags=(--augment); fi
  if [[ $model =~ ^(st-cnn|st-fcn)-(.+)$ ]]; then kind=${BASH_REMATCH[1]}; flags=(--transform "${BASH_REMATCH[2]}"); fi
  local dir
  dir=$(run_dir "$family" "$model" "$seed")
  if [[ -f $dir/eval.json ]]; then echo "skip $dir (done)"; return 0; fi
  local start=$SECONDS
  "$BEYOND" --threads 1 --quiet train stn --distortion "$family" --model "$kind" "${flags[@]}" --set "seed=$seed" \
    --out "$dir" "${EXTRA[@]}" >"$dir.log" 2>&1
  echo "done $dir in $((SECONDS - start)) s"
}
export -f run_one run_dir
export OUT BEYOND
EXTRA_Q=""
[[ ${#EXTRA[@]} -gt 0 ]] && EXTRA_Q=$(printf '%q ' "${EXTRA[@]}")  # none: no empty argument
export EXTRA_Q

start=$SECONDS
for seed in "${SEEDS[@]}"; do
  for family in "${FAMILIES[@]}"; do
    for model in "${MODELS[@]}"; do echo "$family $model $seed"; done
  done
done | xargs -P "$JOBS" -L 1 bash -c 'eval "EXTRA=($EXTRA_Q)"; run_one "$0" "$1" "$2"'
echo "all runs finished in $((SECONDS - start)) s"

# Markdown table: one row per model, one column per family; test error in percent (with several seeds:
# mean +- standard deviation over the runs that finished, and their count when some are missing).
value_of() {  # dir key
  [[ -f $1/eval.json ]] || return 0
  sed -n "s/.*\"$2\": *\([0-9.eE+-]*\).*/\1/p" "$1/eval.json"
}
cell_of() {  # family model
  local errors=() seed e
  for seed in "${SEEDS[@]}"; do
    e=$(value_of "$(run_dir "$1" "$2" "$seed")" test_error)
    [[ -n $e ]] && errors+=("$e")
  done
  if [[ ${#errors[@]} -eq 0 ]]; then printf 'n/a'; return; fi
  printf '%s\n' "${errors[@]}" | awk -v want="${#SEEDS[@]}" '
    { s += $1; q += $1 * $1; n++ }
    END {
      m = s / n
      if (want == 1) { printf "%.2f", m; exit }
      v = n > 1 ? (q - n * m * m) / (n - 1) : 0
      printf "%.2f +- %.2f", m, sqrt(v > 0 ? v : 0)
      if (n < want) printf " (%d runs)", n
    }'
}
params_of() {  # family model
  value_of "$(run_dir "$1" "$2" "${SEEDS[0]}")" parameters | awk '{ printf "%d", $1 }'
}
{
  echo "| model | R | RTS | P | E | parameters (R / RTS) |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for model in "${MODELS[@]}"; do
    row="| $model"
    for family in r rts p e; do row+=" | $(cell_of "$family" "$model")"; done
    echo "$row | $(params_of r "$model") / $(params_of rts "$model") |"
  done
} | tee "$OUT/table.md"
