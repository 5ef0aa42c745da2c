#!/usr/bin/env bash
# Measures the power and the false alarms of `townsim gate --against`:
# TRIES tries with the current code made 25% slower in compute (the
# test-only --test-extra-work 0.25: every tick does a quarter of its own
# CPU work again), each followed by a try with the code unmodified, every
# try a whole gate as CI runs it (both builds, the deterministic run, the
# pairs). Prints one line per try and the counts; docs/gate.md has the
# figures. Run it on a clean tree: the baseline is REV, the current code
# the working tree.
#
#   gate/power.sh [TRIES] [REV]      # defaults: 20 HEAD
set -uo pipefail
cd "$(dirname "$0")/.."
tries=${1:-20}
rev=${2:-HEAD}
extra=${EXTRA:-0.25}
out=${OUT:-$(mktemp -d)}
go build -o "$out/townsim" ./cmd/townsim || exit 2
caught=0 passed=0 slow_undecided=0 plain_undecided=0
echo "power.sh: $tries tries of each, --against $rev, logs in $out"
for i in $(seq 1 "$tries"); do
  for mode in slow plain; do
    args=(gate --budgets gate/budgets.yaml --scenarios default-3h --against "$rev")
    [ "$mode" = slow ] && args+=(--test-extra-work "$extra")
    start=$(date +%s)
    "$out/townsim" "${args[@]}" >"$out/$mode-$i.txt" 2>"$out/$mode-$i.err"
    rc=$?
    secs=$(( $(date +%s) - start ))
    cpu=$(grep -o 'cpu_seconds_vs_[^│]*│[^│]*│[^│]*│[^│]*│' "$out/$mode-$i.txt" | head -1 | tr -s ' ')
    echo "try $i $mode: exit $rc in ${secs}s, load $(cut -d' ' -f1 /proc/loadavg): $cpu"
    case "$mode:$rc" in
      slow:1) caught=$((caught+1)) ;;
      slow:3) slow_undecided=$((slow_undecided+1)) ;;
      plain:0) passed=$((passed+1)) ;;
      plain:3) plain_undecided=$((plain_undecided+1)) ;;
    esac
  done
  echo "after $i: +${extra} caught $caught/$i (undecided $slow_undecided), unmodified passed $passed/$i (undecided $plain_undecided)"
done
