#!/usr/bin/env bash
# GPU check of the ucf_crime paper profile (issue 14, item 7): extraction and one training
# epoch on one H100/H200-class GPU, each a stage with a hard time cap whose JSON is written
# as soon as it has a row, so a stage stopped at its cap still leaves what it measured.
#
# Once, here (PyPI reachable): the packages the device image lacks, as cp312 wheels (~38 MB)
#   bash benchmarks/device_check.sh prepare          # -> benchmarks/_work/whl (git-ignored)
# Then one call of the device tool (at most 8 minutes: hard stops at 200 s + 260 s, ~20 s setup):
#   run  command: bash benchmarks/device_check.sh
#        carry:   ["benchmarks/_work/whl"]     timeout_s: 540
# The JSON files come back from $OUT; copy them into benchmarks/results/ and commit them.
# CPU smoke of the very same code path at a tiny scale (STP-Tiny, a few frames, 12 videos;
# results to benchmarks/_work/device_check_smoke, never to benchmarks/results/gpu_*.json):
#   DEVICE=cpu bash benchmarks/device_check.sh
#
# What each stage writes ($OUT, else benchmarks/results/; `complete: false` = stopped early):
#   gpu_extract.json      stage 1, bench_extract.py --device-check: the profile's extraction
#     (ViT-B-16-quickgelu, random init) on synthetic 320x240 H.264 videos, end to end
#     (decode + motion + top-K + forward + write) in sampled frames/s; one row per precision
#     (fp16 = the profile's CUDA default, bf16 autocast), each against the pure forward at the
#     same batch, and one fp16 multi-crop row (CROPS views; default the profile's extract.crops,
#     10 where that is 1) with its cost per view; target >= 2000 sampled frames/s, fp16 row.
#   gpu_train_epoch.json  stage 2, bench_train_epoch.py: one epoch of stprompt train with the
#     profile's settings on a synthetic UCF-Crime-scale store (1,610 videos x 256 snippets,
#     D = 512, K = 16): epoch seconds, per-step load/compute, peak GPU memory; target epoch <= 60 s.
#   gpu_train_epoch_released.json  stage 3, only with RELEASED=1 (its own cap, RELEASED_CAP, 150 s):
#     the same epoch with the ucf_crime_released profile on a store as `stprompt data
#     import-features vadclip` writes it (1,610 videos x 256 snippets, [CLS] only, K = 0, SA2 off).
#     Budget: 540 s + RELEASED_CAP in the device call's timeout_s.
# All record the device name, torch version, settings, the target and whether it was met.
#
# Knobs: BATCH (256), SAMPLED (16384), PRECISIONS (fp16,bf16), CROPS (profile), TARGET_FPS (2000),
# EXTRACT_CAP (180 s), TRAIN_CAP (240 s), VIDEOS (1610). Nothing is downloaded at run time.
set -uo pipefail
cd "$(dirname "$0")/.."

WHEELS=benchmarks/_work/whl
if [ "${1:-}" = prepare ]; then
  mkdir -p "$WHEELS"
  exec "$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$WHEELS" av==18.1.0 open_clip_torch==3.3.0 ftfy==6.3.1 wcwidth==0.9.4 \
    datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19
fi

DEVICE="${DEVICE:-cuda}"
if [ "$DEVICE" = cpu ]; then OUT_DIR="${OUT:-benchmarks/_work/device_check_smoke}"; else OUT_DIR="${OUT:-benchmarks/results}"; fi
mkdir -p "$OUT_DIR"

PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python  # here; the device machine's python3 holds its torch
probe="import torch, open_clip, av, datasets; print('torch', torch.__version__, '| cuda:', torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '')"
if ! "$PY" -c "$probe" 2>/dev/null; then
  # the device machine reaches no index: install the prepared wheels, never touching its torch
  ls "$WHEELS"/*.whl >/dev/null 2>&1 || { echo "device_check: open_clip/av/datasets missing and no wheels in $WHEELS (run: bash benchmarks/device_check.sh prepare)" >&2; exit 3; }
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/device_check_site "$WHEELS"/*.whl || exit 3
  export PYTHONPATH="/tmp/device_check_site${PYTHONPATH:+:$PYTHONPATH}"
  "$PY" -c "$probe" || exit 3
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HOME="${HF_HOME:-$PWD/.cache/huggingface}"

command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm --format=csv || true
echo "cpus: $(nproc) | /dev/shm: $(df -h /dev/shm 2>/dev/null | awk 'NR==2{print $2}') (decoding workers pass frames through it)"

if [ "$DEVICE" = cpu ]; then  # tiny scale, same entry points; bf16/fp32 because fp16 needs a GPU
  EXTRACT=(--model STP-Tiny --precisions fp32,bf16 --crops "${CROPS:-2}" --batch 8 --sampled 16
           --per-video 16 --unique 1 --forward-seconds 0.05 --target-fps 0)
  TRAIN=(--model STP-Tiny --grid 8 --videos 12 --snippets 16 --batch-size 4)
else
  EXTRACT=(--precisions "${PRECISIONS:-fp16,bf16}" --batch "${BATCH:-256}" --sampled "${SAMPLED:-16384}"
           --target-fps "${TARGET_FPS:-2000}" ${CROPS:+--crops "$CROPS"})
  TRAIN=(--videos "${VIDEOS:-1610}")
fi
EXTRACT_CAP="${EXTRACT_CAP:-180}" TRAIN_CAP="${TRAIN_CAP:-240}"
status=0
# the process's own cap skips rows that would not fit; timeout is the hard stop 20 s later
timeout -k 5 $((EXTRACT_CAP + 20)) "$PY" benchmarks/bench_extract.py --device-check --device "$DEVICE" \
  --time-cap "$EXTRACT_CAP" "${EXTRACT[@]}" --out "$OUT_DIR/gpu_extract.json" || { status=$?; echo "device_check: extraction stage exited $status" >&2; }
timeout -k 5 $((TRAIN_CAP + 20)) "$PY" benchmarks/bench_train_epoch.py --device "$DEVICE" \
  --time-cap "$TRAIN_CAP" "${TRAIN[@]}" --out "$OUT_DIR/gpu_train_epoch.json" || { status=$?; echo "device_check: training stage exited $status" >&2; }
if [ "${RELEASED:-0}" = 1 ]; then
  RELEASED_CAP="${RELEASED_CAP:-150}"
  if [ "$DEVICE" = cpu ]; then RTRAIN=(--videos 12 --snippets 16 --batch-size 4); else RTRAIN=(--videos "${VIDEOS:-1610}"); fi
  timeout -k 5 $((RELEASED_CAP + 20)) "$PY" benchmarks/bench_train_epoch.py --device "$DEVICE" --profile ucf_crime_released \
    --released --time-cap "$RELEASED_CAP" "${RTRAIN[@]}" --out "$OUT_DIR/gpu_train_epoch_released.json" \
    || { status=$?; echo "device_check: released-feature training stage exited $status" >&2; }
fi
ls -l "$OUT_DIR"/gpu_*.json
exit $status
