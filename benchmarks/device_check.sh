#!/usr/bin/env bash
# GPU check for issue 3: ViT-B/16 (random init) end-to-end extraction, sampled frames/s with
# fp16 autocast, against the pure forward at the same batch size (target >= 2000 frames/s
# end to end on one H100). Writes extract_device_check.json to $OUT (or benchmarks/results/).
#
#   bash benchmarks/device_check.sh                 # CUDA: ~16k sampled frames, batch 256
#   DEVICE=cpu bash benchmarks/device_check.sh      # small CPU smoke run of the same path
#   BATCH=512 SAMPLED=32768 bash benchmarks/device_check.sh
#
# Needs a python with torch (the repo's .venv, else python3); the package runs from this
# checkout via PYTHONPATH. Small missing pure-python deps are pip-installed without
# touching torch; nothing is downloaded at run time (random-init weights, synthetic videos).
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE="${DEVICE:-cuda}"
OUT_DIR="${OUT:-benchmarks/results}"
mkdir -p "$OUT_DIR"

PY=""
for cand in .venv/bin/python python3 python; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import torch" >/dev/null 2>&1; then PY="$cand"; break; fi
done
if [ -z "$PY" ]; then echo "device_check: no python with torch found" >&2; exit 3; fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1

missing=$("$PY" - <<'EOF'
import importlib.util
need = {"open_clip": "open_clip_torch==3.3.0", "av": "av==18.1.0", "safetensors": "safetensors",
        "yaml": "pyyaml", "tqdm": "tqdm", "numpy": "numpy"}
print(" ".join(pkg for mod, pkg in need.items() if importlib.util.find_spec(mod) is None))
EOF
)
if [ -n "$missing" ]; then
  echo "device_check: installing $missing (torch kept as is)" >&2
  constraints="$(mktemp)"
  "$PY" -c "import torch, torchvision; print(f'torch=={torch.__version__}'); print(f'torchvision=={torchvision.__version__}')" > "$constraints"
  "$PY" -m pip install --quiet -c "$constraints" $missing || { echo "device_check: cannot install $missing" >&2; exit 3; }
fi

"$PY" -c "import torch; print('torch', torch.__version__, '| cuda:', torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '')"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm --format=csv || true
echo "cpus: $(nproc) | /dev/shm: $(df -h /dev/shm 2>/dev/null | awk 'NR==2{print $2}') (decoding workers pass frames through it)"

if [ "$DEVICE" = cpu ]; then
  ARGS=(--device cpu --batch 8 --sampled 32 --target-fps 0)
else
  ARGS=(--device "$DEVICE" --batch "${BATCH:-256}" --sampled "${SAMPLED:-16384}" --target-fps "${TARGET_FPS:-2000}")
fi
"$PY" benchmarks/bench_extract.py --device-check "${ARGS[@]}" --out "$OUT_DIR/extract_device_check.json"
