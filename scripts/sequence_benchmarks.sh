#!/usr/bin/env bash
# The long-range study of issue 8: the adding problem and the copy task at T = 50, 100, 200, for the
# vanilla RNN, the LSTM and the GRU, each with clipping (global norm 1) and without, over SEEDS seeds.
# A run is "solved" when its final evaluation says so (adding: test MSE < 0.01 vs the 0.167 baseline;
# copy: per-symbol accuracy >= 0.99 on the recalled symbols). Prints the success rate per setting and
# writes runs/sequence_study/summary.md; then draws the gradient plots that explain it.
#
#   scripts/sequence_benchmarks.sh                 # everything (see the time estimate below)
#   TASKS=adding LENGTHS=100 SEEDS=1 scripts/sequence_benchmarks.sh   # the headline cell only
#
# Wall time, measured (2026-11-30, STEPS=3000, hidden 128, batch 64, --threads 1, two runs at a time on
# the 2-core machine): one seed of the whole grid is ~105 minutes of one core (adding ~45, copy ~60;
# per run: RNN 1-3 min, GRU 2-4, LSTM 2.5-7.5, growing with T). SEEDS=3 is ~5.3 core-hours, so about
# 2.7 hours when two invocations split the grid between them by TASKS / LENGTHS (they must not share a
# run). The headline cell (TASKS=adding LENGTHS=100 SEEDS=1) is ~10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

BEYOND=${BEYOND:-build/apps/beyond/beyond}
OUT=${OUT:-runs/sequence_study}
TASKS=${TASKS:-"adding copy"}
LENGTHS=${LENGTHS:-"50 100 200"}
CELLS=${CELLS:-"rnn lstm gru"}
CLIPS=${CLIPS:-"1.0 0"}          # train.clip_grad_norm; 0 = no clipping
SEEDS=${SEEDS:-3}
STEPS=${STEPS:-3000}
THREADS=${THREADS:-1}

mkdir -p "$OUT"
for task in $TASKS; do
  for T in $LENGTHS; do
    for cell in $CELLS; do
      for clip in $CLIPS; do
        for seed in $(seq 1 "$SEEDS"); do
          run="$OUT/$task/T$T/$cell/clip$clip/seed$seed"
          if [ -f "$run/eval.json" ]; then continue; fi   # resumable: finished runs are kept
          echo "== $run"
          start=$(date +%s)
          "$BEYOND" --threads "$THREADS" train "$task" --cell "$cell" --T "$T" --out "$run" \
            --set "train.clip_grad_norm=$clip" --set "seed=$seed" --set "train.steps=$STEPS" \
            --set "train.eval_every=1000" > "$OUT/$task-T$T-$cell-clip$clip-seed$seed.log" 2>&1 || \
            echo "   failed (see the log); counted as not solved"
          echo "   $(( $(date +%s) - start )) s"
        done
      done
    done
  done
done

/usr/bin/python3 - "$OUT" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
rows = {}
for ev in sorted(out.glob("*/T*/*/clip*/seed*/eval.json")):
    task, T, cell, clip, seed = ev.parts[-6:-1]
    m = json.loads(ev.read_text())
    key = (task, int(T[1:]), cell, clip[4:])
    rows.setdefault(key, []).append(m)
lines = ["| task | T | cell | clip norm | solved | metric (mean) |", "|---|---|---|---|---|---|"]
for (task, T, cell, clip), ms in sorted(rows.items()):
    solved = sum(m.get("solved", 0) for m in ms)
    metric = "test_mse" if task == "adding" else "test_accuracy"
    mean = sum(m.get(metric, float("nan")) for m in ms) / len(ms)
    lines.append(f"| {task} | {T} | {cell} | {clip if clip != '0' else 'off'} | {solved}/{len(ms)} | {metric} {mean:.4f} |")
text = "\n".join(lines) + "\n"
(out / "summary.md").write_text(text)
print(text)
PY

# The pictures that explain the table: gradient norms of fresh RNN / LSTM / GRU at T = 100, and
# RNNs with the recurrent matrix at spectral radius below, at and above 1.
"$BEYOND" --threads "$THREADS" gradients --cell rnn,lstm,gru --T 100 --out "$OUT/gradients_cells.png" \
  --jacobians "$OUT/jacobians_cells.png" --csv "$OUT/gradients_cells.csv"
"$BEYOND" --threads "$THREADS" gradients --cell rnn --T 100 --spectral-radius 0.9,1.0,1.1,1.5 \
  --out "$OUT/gradients_radius.png" --jacobians "$OUT/jacobians_radius.png" --csv "$OUT/gradients_radius.csv"
