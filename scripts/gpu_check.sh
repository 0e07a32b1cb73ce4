#!/usr/bin/env bash
# The GPU check: on a machine with one CUDA GPU, in under 10 minutes, one report file of
#   1. the test suite with CUDA visible          (python -m pytest -q -x)
#   2. training throughput on the GPU            (hybrid-hrm bench train --device cuda; bf16 autocast is automatic)
#   3. a two-minute training run                 (hybrid-hrm train sudoku --size 4 --minutes 2 --device cuda)
#   4. the loop on a batch                       (hybrid-hrm bench sudoku ... --methods hybrid,hybrid-uniform)
#   5. DDP with nccl on one device               (torchrun --nproc_per_node=1 -m hybrid_hrm.train ...)
# each with its exit code, its time and its last lines.  Without a GPU it says "no GPU" and runs none.
#
# Usage: scripts/gpu_check.sh [REPORT] [--dry-run]
#   REPORT     the report file (default: $OUT/gpu_report.txt, or ./gpu_report.txt without $OUT)
#   --dry-run  write the steps' commands to the report without running them
# Exit code: 0 when every step that ran passed (or none could run), 1 otherwise, 2 on a bad argument.
set -u

REPORT="${OUT:-.}/gpu_report.txt"
DRY=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu_check.sh: unknown option $arg" >&2; exit 2 ;;
    *) REPORT="$arg" ;;
  esac
done
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")"
PYTHON="${PYTHON:-python}"
if command -v hybrid-hrm > /dev/null 2>&1; then HRM=(hybrid-hrm); else HRM=("$PYTHON" -m hybrid_hrm.cli); fi
BUDGET_S=585   # the steps' timeouts add up to this at most; a step that would pass it is skipped
START=$(date +%s)
FAILED=0
mkdir -p "$(dirname "$REPORT")"
: > "$REPORT"
cd "$ROOT" || exit 2

say() { printf '%s\n' "$*" >> "$REPORT"; }

# step NAME TIMEOUT_S COMMAND...: run it under a timeout; its exit code, seconds and last lines go to the report.
step() {
  local name="$1" limit="$2"; shift 2
  local used=$(( $(date +%s) - START ))
  say ""
  say "== $name (timeout ${limit} s): $*"
  if [ "$DRY" = 1 ]; then say "dry run: not run"; return 0; fi
  if [ "$HAS_GPU" != 1 ]; then say "skipped: no GPU"; return 0; fi
  if [ $(( used + limit )) -gt "$BUDGET_S" ]; then
    say "skipped: ${used} s used, ${limit} s more would pass the ${BUDGET_S} s budget"; FAILED=1; return 0
  fi
  local t0=$(date +%s) code
  timeout --kill-after=5 "$limit" "$@" > "$WORK/$name.log" 2>&1
  code=$?
  say "exit $code in $(( $(date +%s) - t0 )) s$( [ "$code" = 124 ] && echo ' (timed out)')"
  tail -n 15 "$WORK/$name.log" | sed 's/^/  | /' >> "$REPORT"
  [ "$code" = 0 ] || FAILED=1
}

say "# GPU check, $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)"
say "repository: $ROOT ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout'))"
GPU_LINE="$("$PYTHON" -c '
import torch
if torch.cuda.is_available() and torch.cuda.device_count() > 0:
    print("GPU:", torch.cuda.get_device_name(0), "| torch", torch.__version__, "| CUDA", torch.version.cuda,
          "| bf16", torch.cuda.is_bf16_supported(), "| nccl", torch.distributed.is_nccl_available())
else:
    print("no GPU: torch", torch.__version__, "sees no CUDA device (torch.cuda.is_available() is False)")
' 2>&1 | tail -n 1)"
say "$GPU_LINE"
case "$GPU_LINE" in GPU:*) HAS_GPU=1 ;; *) HAS_GPU=0 ;; esac
if command -v nvidia-smi > /dev/null 2>&1; then
  say "nvidia-smi: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -n 1)"
fi
[ "$HAS_GPU" = 1 ] || [ "$DRY" = 1 ] || say "no GPU: the steps below are skipped"

step tests 300 "$PYTHON" -m pytest -q -x   # 5 min on a busy 2-core CPU machine
step bench-train 45 "${HRM[@]}" bench train --device cuda --scale 0.3 --out "$WORK/bench_train.json"
step train 150 "${HRM[@]}" train sudoku --size 4 --minutes 2 --device cuda --out "$WORK/train4" --quiet
step loop 45 "${HRM[@]}" bench sudoku --collection top1465 --limit 200 --methods hybrid,hybrid-uniform \
  --device cuda --out "$WORK/bench_loop.json"
step ddp 45 "$PYTHON" -m torch.distributed.run --standalone --nproc_per_node=1 -m hybrid_hrm.train sudoku \
  --size 4 --max-steps 20 --device cuda --out "$WORK/ddp" --quiet

say ""
say "total $(( $(date +%s) - START )) s; $( [ "$FAILED" = 0 ] && echo 'every step that ran passed' || echo 'SOME STEP FAILED')"
say "logs: $WORK"
echo "wrote $REPORT"
exit "$FAILED"
