#!/usr/bin/env bash
# GPU run of benchmarks/synthclip_study.py: jobs in parallel on one GPU. Renders the workshop
# SynthVAD and SynthCLIP corpus there (PyAV), then runs every job of JOBS (';'-separated
# argument lists of the study: "run VARIANT" trains a recipe variant with the exported MiniLM
# features, "supervised ..." the tower with a linear head), each writing a JSON file to OUT.
# Prepare here first:
#
#   python benchmarks/synthclip_study.py export        # -> benchmarks/_work/study_text
#   pip download av==18.1.0 open_clip_torch==3.3.0 ftfy==6.3.1 wcwidth==0.9.4 (cp312 manylinux wheels)
#       into benchmarks/_work/whl
#   device run, carrying benchmarks/_work/whl and benchmarks/_work/study_text:
#       bash benchmarks/device_study.sh
#   python benchmarks/synthclip_study.py collect <folders of the returned JSON files>
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-benchmarks/_work/study_out}"
mkdir -p "$OUT_DIR"
LIMIT="${LIMIT:-500}"  # seconds per job process (its decode included; the render runs before)
# 850 steps took 36 s of training with four variants sharing one H100 (render + decode about a minute)
JOBS="${JOBS:-run base;run anchored;run steps4x;run anchored4x}"
PY=python3
if ! $PY -c "import open_clip, av" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site benchmarks/_work/whl/*.whl || exit 3
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
mkdir -p cache/models/all-MiniLM-L6-v2
cp benchmarks/_work/study_text/minilm_config.json cache/models/all-MiniLM-L6-v2/config.json
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
# RENDER_ARGS: e.g. "--corpus-per-class 480" (a 3x corpus) for supervised jobs with the same
# --corpus-per-class. On one H200, that render plus each job's decode did not reach the first
# curve point within a 330 s call: give it a call of at least 8 minutes.
t0=$(date +%s)
$PY benchmarks/synthclip_study.py render ${RENDER_ARGS:-} || exit 4
echo "render: $(( $(date +%s) - t0 )) s"
IFS=';' read -ra jobs <<< "$JOBS"
for i in "${!jobs[@]}"; do
  # shellcheck disable=SC2086  # a job is an argument list
  timeout "$LIMIT" $PY benchmarks/synthclip_study.py ${jobs[$i]} --device cuda --out "$OUT_DIR" --threads 2 \
    > "/tmp/study_$i.log" 2>&1 &
done
wait
echo "all: $(( $(date +%s) - t0 )) s"
for i in "${!jobs[@]}"; do echo "== ${jobs[$i]}"; grep -v "^\s*$" "/tmp/study_$i.log" | tail -4; done
