#!/usr/bin/env bash
# The app's launch figures: time from process start to the cached inbox painted (the UI marks
# the moment), time to open a 100k-message conversation, memory of all of Confab's processes
# once settled, and the release binary's size. The baseline is the same binary launching on
# an empty profile, measured in the same run. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-5}
CONVERSATIONS=${BENCH_CONVERSATIONS:-10000}
MESSAGES=${BENCH_MESSAGES:-1000000}
BIG=${BENCH_BIG:-100000}

cargo build --locked --release -q -p confab
cargo build --locked --release -q -p confab-core --example seed_profile
work=$(mktemp -d)
trap 'kill "${xvfb:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "Seeding a profile with $CONVERSATIONS conversations and $MESSAGES messages" >&2
target=$(target/release/examples/seed_profile "$work/big" "$CONVERSATIONS" "$MESSAGES" "$BIG")
mkdir -p "$work/empty"

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
sleep 1

rss_kb() { # sum of VmRSS of a process and all its descendants
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
children = {}
for pid in os.listdir('/proc'):
    if not pid.isdigit():
        continue
    try:
        with open(f'/proc/{pid}/stat') as f:
            ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(pid))
    except OSError:
        pass
total, stack = 0, [root]
while stack:
    pid = stack.pop()
    stack.extend(children.get(pid, []))
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    total += int(line.split()[1])
    except OSError:
        pass
print(total)
PY
}

# launch PROFILE_DIR WAIT_FOR -> prints "painted_ms open_ms rss_kb"
launch() {
  local dir=$1 wait_for=$2 measure="$work/measure.$RANDOM"
  DISPLAY=$display CONFAB_MEASURE="$measure" CONFAB_MEASURE_OPEN="${3:-}" \
    target/release/confab --data-dir "$dir" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 600); do
    grep -q "^$wait_for " "$measure" 2>/dev/null && break
    sleep 0.1
  done
  sleep 3 # settle
  local rss
  rss=$(rss_kb "$pid")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local painted open
  painted=$(awk '/^inbox_painted_ms/ {print $2}' "$measure" 2>/dev/null || true)
  open=$(awk '/^open_conversation_ms/ {print $2}' "$measure" 2>/dev/null || true)
  echo "${painted:-nan} ${open:-nan} $rss"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: >"$work/empty.txt"
: >"$work/big.txt"
for i in $(seq "$RUNS"); do
  echo "run $i of $RUNS" >&2
  launch "$work/empty" inbox_painted_ms >>"$work/empty.txt"
  launch "$work/big" open_conversation_ms "$target" >>"$work/big.txt"
done

e_paint=$(cut -d' ' -f1 "$work/empty.txt" | median)
e_rss=$(cut -d' ' -f3 "$work/empty.txt" | median)
b_paint=$(cut -d' ' -f1 "$work/big.txt" | median)
b_open=$(cut -d' ' -f2 "$work/big.txt" | median)
b_rss=$(cut -d' ' -f3 "$work/big.txt" | median)
size=$(stat -c %s target/release/confab)

echo "| measure (median of $RUNS launches) | $CONVERSATIONS conversations, $MESSAGES messages | empty profile (baseline) | ratio |"
echo "|---|---:|---:|---:|"
printf '| launch to inbox painted | %.0f ms | %.0f ms | %.2fx |\n' "$b_paint" "$e_paint" "$(python3 -c "print($b_paint/$e_paint)")"
printf '| open the %s-message conversation | %.0f ms | - | - |\n' "$BIG" "$b_open"
printf '| memory of all processes, settled | %.0f MiB | %.0f MiB | %.2fx |\n' "$(python3 -c "print($b_rss/1024)")" "$(python3 -c "print($e_rss/1024)")" "$(python3 -c "print($b_rss/$e_rss)")"
printf '| release binary | %.1f MiB | | |\n' "$(python3 -c "print($size/1048576)")"
