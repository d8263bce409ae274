#!/usr/bin/env bash
# Confab beside the desktop messengers people use, in one run: Telegram Desktop and nheko
# (Debian's packages, fresh profiles: their login screen), an empty WebKit window (MiniBrowser
# on about:blank: the floor any WebKitGTK app starts from), and the Confab release binary on an
# empty profile and on a big cached one. Rounds alternate the programs; every launch gets an
# Xvfb of its own and a fresh HOME.
#
# Per launch: first window (spawn to the first mapped window of the process, polled with
# xdotool), memory (summed PSS of the whole process tree, from /proc/PID/smaps_rollup, 8 s
# after the window showed), and for Confab the cached inbox painted (the UI marks the moment)
# and the time to open the big conversation (measured by the UI).
#
# Prints a Markdown table of medians with ratios against each peer.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
SETTLE=${BENCH_SETTLE:-8}
CONVERSATIONS=${BENCH_CONVERSATIONS:-10000}
MESSAGES=${BENCH_MESSAGES:-1000000}
BIG=${BENCH_BIG:-100000}
CONFAB=${BENCH_CONFAB:-target/release/confab}

if [ -z "${BENCH_CONFAB:-}" ]; then
  cargo build --locked --release -q -p confab
fi
cargo build --locked --release -q -p confab-core --example seed_profile
work=$(mktemp -d)
cleanup() {
  pkill -P $$ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "Seeding a profile with $CONVERSATIONS conversations and $MESSAGES messages" >&2
target=$(target/release/examples/seed_profile "$work/big" "$CONVERSATIONS" "$MESSAGES" "$BIG")

# The programs, by name: the command line (the profile's paths are filled in per launch).
declare -A COMMAND=(
  [telegram]="telegram-desktop"
  [nheko]="nheko"
  [webkit]="/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser about:blank"
  [webkit-lean]="env WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser about:blank"
  [confab-empty]="$CONFAB --data-dir @HOME@/confab"
  [confab-big]="$CONFAB --data-dir @BIG@"
)
# confab-big runs with Confab's defaults (src-tauri/src/webkit.rs): the ratios are its.
# BENCH_PROGRAMS picks some of them (an A/B of settings on confab-big, say).
read -r -a PROGRAMS <<<"${BENCH_PROGRAMS:-telegram nheko webkit webkit-lean confab-empty confab-big}"
# WebKitGTK settings to measure on the big profile, each as a program of its own:
# BENCH_WEBKIT="accel=never cache=viewer pagecache=off" (see src-tauri/src/webkit.rs).
declare -A TUNING=()
for tuning in ${BENCH_WEBKIT:-}; do
  COMMAND[confab-big-$tuning]="$CONFAB --data-dir @BIG@"
  TUNING[confab-big-$tuning]=$tuning
  PROGRAMS+=("confab-big-$tuning")
done
# BENCH_BASELINE=/path/to/another/confab runs that binary on the big profile too, alternating
# with this one: a same-run A/B of a change.
if [ -n "${BENCH_BASELINE:-}" ]; then
  COMMAND[confab-big-baseline]="$BENCH_BASELINE --data-dir @BIG@"
  PROGRAMS+=(confab-big-baseline)
fi
for program in "${PROGRAMS[@]}"; do
  first=${COMMAND[$program]%% *}
  command -v "$first" >/dev/null || [ -x "$first" ] || {
    echo "bench: $first is missing (scripts/ensure-system.sh bench installs it)" >&2
    exit 1
  }
done

pss_kb() { # summed PSS of a process and all its descendants, but the session's bus and a11y
  python3 scripts/proctree.py pss "$1"
}

now_ms() { date +%s%3N; }

kill_tree() {
  local pid=$1 child
  for child in $(pgrep -P "$pid" 2>/dev/null); do kill_tree "$child"; done
  kill "$pid" 2>/dev/null || true
}

# launch PROGRAM -> prints "first_window_ms painted_ms open_ms pss_kb" (nan where not measured)
launch() {
  local program=$1 home measure display xvfb pid
  home=$(mktemp -d "$work/home.XXXX")
  measure="$home/measure"
  display=:$((100 + RANDOM % 100))
  Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb=$!
  for _ in $(seq 50); do DISPLAY=$display xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
  local command=${COMMAND[$program]//@HOME@/$home}
  command=${command//@BIG@/$work/big}
  local open=""
  [ "${program#confab-big}" != "$program" ] && open=$target
  local start
  start=$(now_ms)
  # shellcheck disable=SC2086
  HOME=$home XDG_CONFIG_HOME=$home/.config XDG_DATA_HOME=$home/.local/share XDG_CACHE_HOME=$home/.cache \
    DISPLAY=$display CONFAB_MEASURE="$measure" CONFAB_MEASURE_OPEN="$open" CONFAB_WEBKIT="${TUNING[$program]:-}" \
    dbus-run-session -- $command >/dev/null 2>&1 &
  local session=$!
  local window=nan
  for _ in $(seq 3000); do
    if DISPLAY=$display xdotool search --onlyvisible --name '.' >/dev/null 2>&1; then
      window=$(($(now_ms) - start))
      break
    fi
    sleep 0.01
  done
  if [ "${program%%-*}" = confab ]; then
    local wait_for=inbox_painted_epoch_ms
    [ -n "$open" ] && wait_for=open_conversation_ms
    for _ in $(seq 600); do grep -q "^$wait_for " "$measure" 2>/dev/null && break; sleep 0.1; done
  fi
  sleep "$SETTLE"
  local pss
  pss=$(pss_kb "$session")
  kill_tree "$session"
  wait "$session" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  wait "$xvfb" 2>/dev/null || true
  # A launch whose window never showed failed: no figures from it.
  [ "$window" = nan ] && pss=nan
  local painted=nan open_ms=nan
  if [ -f "$measure" ]; then
    # The UI's probes: the main thread's answer time, idle and while six searches over the
    # cache run, and the part of opening the conversation until its reads answered.
    grep -E '^(main_thread|searches|open_conversation_read)' "$measure" >>"$work/$program.probes" || true
    painted=$(awk -v s="$start" '/^inbox_painted_epoch_ms/ {printf "%.0f", $2 - s}' "$measure")
    open_ms=$(awk '/^open_conversation_ms/ {print $2}' "$measure")
  fi
  rm -rf "$home"
  echo "$window ${painted:-nan} ${open_ms:-nan} $pss"
}

median() { { grep -v nan || true; } | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else printf "%.0f\n", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
range() { { grep -v nan || true; } | sort -g | awk 'NR == 1 {lo=$1} {hi=$1} END {if (NR == 0) print "-"; else printf "%.0f-%.0f", lo, hi}'; }

for round in $(seq "$ROUNDS"); do
  for program in "${PROGRAMS[@]}"; do
    echo "round $round of $ROUNDS: $program" >&2
    launch "$program" >>"$work/$program.txt"
  done
done
# The raw figures (window, painted, open, PSS in KiB per launch), for whoever wants more than medians.
for program in "${PROGRAMS[@]}"; do echo "raw $program: $(tr '\n' ';' <"$work/$program.txt")" >&2; done

col() { cut -d' ' -f"$2" "$work/$1.txt"; }
declare -A WIN PAINT OPEN PSS
for program in "${PROGRAMS[@]}"; do
  WIN[$program]=$(col "$program" 1 | median)
  PAINT[$program]=$(col "$program" 2 | median)
  OPEN[$program]=$(col "$program" 3 | median)
  PSS[$program]=$(col "$program" 4 | median)
done
ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print('-' if 'nan' in (a, b) else f'{float(a)/float(b):.2f}x')" "$1" "$2"; }
mib() { python3 -c "import sys; print('-' if sys.argv[1] == 'nan' else f'{float(sys.argv[1])/1024:.0f} MiB')" "$1"; }

declare -A NAME=(
  [telegram]="Telegram Desktop $(dpkg-query -W -f='${Version}' telegram-desktop 2>/dev/null | cut -d+ -f1) (login screen)"
  [nheko]="nheko $(dpkg-query -W -f='${Version}' nheko 2>/dev/null | cut -d- -f1) (login screen)"
  [webkit]="empty WebKitGTK window (MiniBrowser, about:blank)"
  [webkit-lean]="the same, without compositing or DMA-BUF renderer (as Confab runs it)"
  [confab-empty]="Confab, empty profile"
  [confab-big]="Confab, $CONVERSATIONS conversations / $MESSAGES messages cached"
)
for program in "${!TUNING[@]}"; do NAME[$program]="Confab, big profile, CONFAB_WEBKIT=${TUNING[$program]}"; done
[ -n "${BENCH_BASELINE:-}" ] && NAME[confab-big-baseline]="Confab, big profile, baseline binary ($BENCH_BASELINE)"
echo "Medians of $ROUNDS rounds (ranges in brackets); memory is summed PSS ${SETTLE} s after the first window."
echo
echo "| program | first window | launch to inbox painted | open the $BIG-message conversation | memory (PSS) |"
echo "|---|---:|---:|---:|---:|"
for program in "${PROGRAMS[@]}"; do
  printf '| %s | %s ms (%s) | %s | %s | %s (%s) |\n' "${NAME[$program]}" \
    "${WIN[$program]}" "$(col "$program" 1 | range)" \
    "$([ "${PAINT[$program]}" = nan ] && echo - || echo "${PAINT[$program]} ms ($(col "$program" 2 | range))")" \
    "$([ "${OPEN[$program]}" = nan ] && echo - || echo "${OPEN[$program]} ms")" \
    "$(mib "${PSS[$program]}")" "$(col "$program" 4 | range | awk -F- '{printf "%.0f-%.0f MiB", $1/1024, $2/1024}')"
done
echo
echo "| Confab, big profile, against | first window | launch to inbox painted vs. its first window | memory |"
echo "|---|---:|---:|---:|"
for peer in telegram nheko webkit webkit-lean; do
  [ -n "${WIN[$peer]:-}" ] && [ -n "${WIN[confab-big]:-}" ] || continue
  printf '| %s | %s | %s | %s |\n' "${NAME[$peer]}" \
    "$(ratio "${WIN[confab-big]}" "${WIN[$peer]}")" \
    "$(ratio "${PAINT[confab-big]}" "${WIN[$peer]}")" \
    "$(ratio "${PSS[confab-big]}" "${PSS[$peer]}")"
done
probes=()
for program in "${PROGRAMS[@]}"; do [ -s "$work/$program.probes" ] && probes+=("$program"); done
if [ "${#probes[@]}" -gt 0 ]; then
  echo
  echo "| Confab, probes of the UI (medians) | a main-thread command, idle | the same while six searches run (longest) | the six searches | opening: until its reads answered |"
  echo "|---|---:|---:|---:|---:|"
  probe() { awk -v n="$2" '$1 == n {print $2}' "$work/$1.probes" | median; }
  for program in "${probes[@]}"; do
    printf '| %s | %s ms | %s ms | %s ms | %s ms |\n' "${NAME[$program]}" "$(probe "$program" main_thread_idle_ms)" \
      "$(probe "$program" main_thread_busy_ms)" "$(probe "$program" searches_ms)" "$(probe "$program" open_conversation_read_ms)"
  done
fi
echo
size=$(stat -c %s "$CONFAB")
printf 'Release binary: %s bytes (%.1f MiB, %.1f MB).\n' "$size" "$(python3 -c "print($size/1048576)")" "$(python3 -c "print($size/1e6)")"
