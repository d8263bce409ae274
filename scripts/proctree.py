#!/usr/bin/env python3
"""What a process tree costs, for the benchmarks. PID is the root of the tree (the app; its
WebKit processes are its descendants); the session's bus and accessibility daemons are left out.

    scripts/proctree.py pss PID
        memory: the summed PSS of the tree, in KiB
    scripts/proctree.py cost PID SECONDS [--top N] [--json]
        what it costs while it sits there: CPU (utime + stime of every process, as a share of
        one core) and wakeups (voluntary + involuntary context switches of every thread, per
        second) over a window of SECONDS, with the threads that woke most
"""
import json
import os
import sys
import time

INFRASTRUCTURE = ('dbus-daemon', 'at-spi-bus-laun', 'at-spi2-registr', 'dbus-run-sessio')
TICKS = os.sysconf('SC_CLK_TCK')


def tree(root):
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
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f'/proc/{pid}/comm') as f:
                if f.read().strip() in INFRASTRUCTURE:
                    continue
        except OSError:
            continue
        found.append(pid)
    return found


def sample(root):
    """{(pid, tid, process name, thread name): (cpu ticks, context switches)}"""
    out = {}
    for pid in tree(root):
        try:
            with open(f'/proc/{pid}/comm') as f:
                process = f.read().strip()
            tids = os.listdir(f'/proc/{pid}/task')
        except OSError:
            continue
        for tid in tids:
            base = f'/proc/{pid}/task/{tid}'
            try:
                with open(f'{base}/stat') as f:
                    fields = f.read().rsplit(')', 1)[1].split()
                ticks = int(fields[11]) + int(fields[12])
                switches = 0
                with open(f'{base}/status') as f:
                    for line in f:
                        if line.startswith(('voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')):
                            switches += int(line.split()[1])
                with open(f'{base}/comm') as f:
                    thread = f.read().strip()
            except OSError:
                continue
            out[(pid, int(tid), process, thread)] = (ticks, switches)
    return out


def measure(root, seconds):
    before, start = sample(root), time.monotonic()
    time.sleep(seconds)
    after, elapsed = sample(root), time.monotonic() - start
    rows = []
    for key, (ticks, switches) in after.items():
        t0, s0 = before.get(key, (0, 0))
        rows.append((key, (ticks - t0) / TICKS, switches - s0))
    cpu = sum(r[1] for r in rows) / elapsed * 100
    wakeups = sum(r[2] for r in rows) / elapsed
    rows.sort(key=lambda r: -r[2])
    return cpu, wakeups, elapsed, rows


def pss_kib(root):
    total = 0
    for pid in tree(root):
        try:
            with open(f'/proc/{pid}/smaps_rollup') as f:
                for line in f:
                    if line.startswith('Pss:'):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == 'pss':
        print(pss_kib(int(args[0])))
        return
    if command != 'cost':
        sys.exit(f'unknown command {command!r}: pss or cost')
    top = 5
    if '--top' in args:
        i = args.index('--top')
        top = int(args[i + 1])
        del args[i:i + 2]
    as_json = '--json' in args
    args = [a for a in args if a != '--json']
    root, seconds = int(args[0]), float(args[1])
    cpu, wakeups, elapsed, rows = measure(root, seconds)
    busiest = [
        {'process': k[2], 'thread': k[3], 'wakeups_per_s': round(s / elapsed, 1)}
        for k, _, s in rows[:top] if s > 0
    ]
    if as_json:
        print(json.dumps({'cpu_percent': round(cpu, 3), 'wakeups_per_s': round(wakeups, 1), 'busiest': busiest}))
    else:
        print(f'{cpu:.2f}% of a core, {wakeups:.1f} wakeups/s over {elapsed:.1f} s')
        for b in busiest:
            print(f"  {b['wakeups_per_s']:7.1f}/s  {b['process']}: {b['thread']}")


if __name__ == '__main__':
    main()
