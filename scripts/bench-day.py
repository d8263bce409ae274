#!/usr/bin/env python3
"""A day compressed: the release app left open on three accounts (one per dialect) while
messages trickle in, against the full reference server and a `--strict` one, with the floors
(an empty WebKit window, Telegram Desktop and nheko at their login screens) measured in the same
run. Run by `make bench` inside scripts/with-keyring.sh (the CLI signs in, keys go to the
session's Secret Service, the app reads them from there); prints Markdown.

Per server, the app (its own Xvfb, a data directory the CLI signed three accounts into):

  idle states   CPU (share of one core) and wakeups (context switches of every thread of the
                process tree, per second) over BENCH_DAY_IDLE seconds each: the inbox; a
                conversation open with the composer focused (after the caret rested); the
                palette dialog open; the window hidden (unmapped, as hiding to the tray does);
                after receiving; the server gone (offline, retrying with backoff)
  receiving     another person (ada) sends BENCH_DAY_MESSAGES messages at BENCH_DAY_RATE a
                second, round robin into the conversations they share with the three accounts
                (on the strict server, managem documents no way to read, so portal and protocol
                only), one of them open in the app: CPU, CPU per message, PSS sampled every
                BENCH_DAY_SAMPLE seconds (first 1,000 messages against the end, and the slope
                over the second half), and messages in the cache against messages sent, 60 s
                after the last
  accounts      (full server) PSS of the app settled on one, two and three accounts

Knobs (environment): BENCH_DAY_MESSAGES (240), BENCH_DAY_RATE (3), BENCH_DAY_IDLE (15),
BENCH_DAY_SERVERS ("full strict"), BENCH_DAY_FLOORS (1; 0 skips the peers), BENCH_DAY_SAMPLE (5).
A day: BENCH_DAY_MESSAGES=250000 (about 23 hours at 3 a second).
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proctree  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MESSAGES = int(os.environ.get('BENCH_DAY_MESSAGES', 240))
RATE = float(os.environ.get('BENCH_DAY_RATE', 3))
IDLE = float(os.environ.get('BENCH_DAY_IDLE', 15))
SERVERS = os.environ.get('BENCH_DAY_SERVERS', 'full strict').split()
FLOORS = os.environ.get('BENCH_DAY_FLOORS', '1') != '0'
SAMPLE = float(os.environ.get('BENCH_DAY_SAMPLE', 5))
RELEASE = os.path.join(ROOT, 'target', 'release')
APP = os.environ.get('BENCH_CONFAB', os.path.join(RELEASE, 'confab'))
MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'
# The UI rests an idle caret after 10 s (ui/src/lib/caret.ts); states with a focused field are
# measured after that.
CARET_REST = 10
WORK = tempfile.mkdtemp(prefix='confab-day-')
PROCESSES = []


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def spawn(args, env=None, **kwargs):
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, **kwargs)
    PROCESSES.append(process)
    return process


def stop(process):
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f'bench-day: timed out waiting for {what}')


class Display:
    """An Xvfb of its own."""

    def __init__(self):
        for _ in range(20):
            self.name = f':{200 + int.from_bytes(os.urandom(1), "big") % 200}'
            if not os.path.exists(f'/tmp/.X11-unix/X{self.name[1:]}'):
                break
        self.process = spawn(['Xvfb', self.name, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'])
        wait_for('Xvfb', lambda: subprocess.run(['xdpyinfo'], env=self.env(), capture_output=True).returncode == 0, 10)

    def env(self, **extra):
        return {**os.environ, 'DISPLAY': self.name, **extra}

    def xdotool(self, *args):
        return subprocess.run(['xdotool', *args], env=self.env(), capture_output=True, text=True).stdout.strip()

    def window_of(self, pid):
        return wait_for(f'a window of {pid}', lambda: self.xdotool('search', '--onlyvisible', '--pid', str(pid)).split()[-1:], 60)[0]

    def close(self):
        stop(self.process)


def cost(pid, seconds):
    cpu, wakeups, _, rows = proctree.measure(pid, seconds)
    return {'cpu': cpu, 'wakeups': wakeups, 'top': [(k[2], k[3], s / seconds) for k, _, s in rows[:3] if s > 0]}


def request(server, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server + path, data=data, method=method, headers={
        'Authorization': f'Bearer {key}', 'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=30) as answer:
        text = answer.read()
        return json.loads(text) if text else None


class Server:
    def __init__(self, strict):
        self.strict = strict
        self.dir = tempfile.mkdtemp(dir=WORK, prefix='server-')
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.keys_file = os.path.join(self.dir, 'keys.json')
        self.start()
        with open(self.keys_file) as f:
            demo = json.load(f)
        self.people = {p['username']: p for p in demo['people']}
        self.accounts = {a['dialect']: a['username'] for a in demo['accounts']}

    def start(self):
        args = [os.path.join(RELEASE, 'confab-server'), 'serve', '--bind', f'127.0.0.1:{self.port}',
                '--db', os.path.join(self.dir, 'server.db'), '--demo', '--keys-file', self.keys_file]
        if self.strict:
            args.append('--strict')
        self.process = spawn(args)
        wait_for('the server', lambda: os.path.exists(self.keys_file) and self.answers(), 30)

    def answers(self):
        try:
            with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                return True
        except OSError:
            return False

    def key(self, username):
        return self.people[username]['key']

    def targets(self, sender):
        """Where `sender` writes to the accounts: (dialect, conversation id) pairs."""
        key, out = self.key(sender), []
        sam = self.people[self.accounts['portal']]['id']
        for c in request(self.url, key, 'GET', '/api/messages'):
            if sam in c['participants']:
                out.append(('portal', c['id']))
        riley = self.accounts['protocol']
        out.append(('protocol', request(self.url, key, 'POST', '/v1/conversations', {'contact_id': riley})['id']))
        if not self.strict:
            out.append(('managem', None))
        return out

    def send(self, sender, target, body):
        dialect, conversation = target
        key = self.key(sender)
        if dialect == 'portal':
            request(self.url, key, 'POST', f'/api/messages/{conversation}', {'body': body})
        elif dialect == 'protocol':
            request(self.url, key, 'POST', '/v1/messages', {'conversation_id': conversation, 'message': body})
        else:
            jordan = self.people[self.accounts['managem']]['id']
            request(self.url, key, 'POST', '/conversations',
                    {'source': {'type': 'ORDER', 'id': 'day-bench'}, 'recipientId': jordan, 'body': body})

    def close(self):
        stop(self.process)


def cli(data_dir, *args, stdin=None):
    return subprocess.run([os.path.join(RELEASE, 'confab-cli'), '--data-dir', data_dir, *args], input=stdin,
                          capture_output=True, text=True, check=True).stdout


def signed_in(server, dialects):
    """A data directory with the demo's "you" of each dialect signed in (keys in the keyring)."""
    data = tempfile.mkdtemp(dir=WORK, prefix='data-')
    ids = {}
    for dialect in dialects:
        out = cli(data, 'account', 'add', '--server', server.url, '--dialect', dialect,
                  stdin=server.key(server.accounts[dialect]))
        ids[dialect] = out.split()[1]
    if server.strict and 'portal' in ids:
        # On a documents-only portal server reading marks read, so unopened conversations are
        # downloaded only when the person chooses to: this run is of someone who did.
        cli(data, 'account', 'background', ids['portal'], 'on')
    return data, ids


class App:
    def __init__(self, data, open_target=None):
        self.display = Display()
        self.measure = os.path.join(data, 'measure.txt')
        env = self.display.env(CONFAB_MEASURE=self.measure, CONFAB_MEASURE_OPEN=open_target or '')
        self.process = spawn([APP, '--data-dir', data], env=env)
        self.pid = self.process.pid
        self.window = self.display.window_of(self.pid)
        wanted = 'open_conversation_ms' if open_target else 'inbox_painted_ms'
        wait_for('the inbox', lambda: os.path.exists(self.measure) and wanted in open(self.measure).read(), 120)
        self.display.xdotool('windowfocus', '--sync', self.window)

    def key(self, keys):
        self.display.xdotool('windowfocus', '--sync', self.window)
        self.display.xdotool('key', '--clearmodifiers', keys)

    def close(self):
        stop(self.process)
        self.display.close()


def cached(data, tag):
    db = sqlite3.connect(f'file:{os.path.join(data, "profile", "confab.db")}?mode=ro', uri=True, timeout=10)
    try:
        return db.execute("SELECT count(DISTINCT body) FROM messages WHERE body LIKE ?", (tag + '%',)).fetchone()[0]
    finally:
        db.close()


def slope_per_thousand(points):
    """Least-squares slope of PSS (KiB) over messages, in KiB per 1,000 messages."""
    if len(points) < 2:
        return float('nan')
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    var = sum((p[0] - mx) ** 2 for p in points)
    return float('nan') if var == 0 else sum((p[0] - mx) * (p[1] - my) for p in points) / var * 1000


def day(strict):
    name = 'strict' if strict else 'full'
    log(f'[{name}] server, three accounts')
    server = Server(strict)
    dialects = ['portal', 'protocol', 'managem']
    data, ids = signed_in(server, dialects)
    cli(data, 'sync')
    sam, ada = server.people[server.accounts['portal']]['id'], server.people['ada']['id']
    # The portal direct conversation of sam and ada is the one open.
    direct = next(c for c in request(server.url, server.key('ada'), 'GET', '/api/messages')
                  if sorted(c['participants']) == sorted([sam, ada]))['id']
    states, result = {}, {'server': name}

    app = App(data)
    time.sleep(5)
    log(f'[{name}] idle: inbox')
    states['inbox'] = cost(app.pid, IDLE)
    app.close()

    app = App(data, f'{ids["portal"]}/{direct}')
    time.sleep(CARET_REST + 2)
    log(f'[{name}] idle: a conversation open, the composer focused')
    states['conversation open, composer focused'] = cost(app.pid, IDLE)
    app.key('ctrl+k')
    time.sleep(CARET_REST + 2)
    log(f'[{name}] idle: the palette open')
    states['a dialog open (the palette, its field focused)'] = cost(app.pid, IDLE)
    app.key('Escape')
    time.sleep(2)

    tag = f'day-{name}-{os.getpid()}-'
    targets = server.targets('ada')
    sent, failures, done = [0], [], threading.Event()

    def sender():
        start = time.monotonic()
        for i in range(MESSAGES):
            time.sleep(max(0.0, start + i / RATE - time.monotonic()))
            try:
                server.send('ada', targets[i % len(targets)], f'{tag}{i} a message of a steady afternoon')
                sent[0] += 1
            except Exception as error:  # noqa: BLE001 (a failed send is reported, not fatal)
                failures.append(str(error))
        done.set()

    log(f'[{name}] receiving {MESSAGES} messages at {RATE}/s into {len(targets)} conversations')
    samples = []
    before, t0 = proctree.sample(app.pid), time.monotonic()
    thread = threading.Thread(target=sender)
    thread.start()
    while not done.wait(SAMPLE):
        samples.append((sent[0], proctree.pss_kib(app.pid)))
    thread.join()
    after, elapsed = proctree.sample(app.pid), time.monotonic() - t0
    ticks = sum(v[0] - before.get(k, (0, 0))[0] for k, v in after.items()) / proctree.TICKS
    switches = sum(v[1] - before.get(k, (0, 0))[1] for k, v in after.items())
    busiest = sorted(((v[0] - before.get(k, (0, 0))[0], k[2], k[3]) for k, v in after.items()), reverse=True)[:6]
    log(f'[{name}] CPU while receiving, busiest threads: ' +
        ', '.join(f'{p}: {t} {ticks / proctree.TICKS / elapsed * 100:.1f}%' for ticks, p, t in busiest))
    samples.append((sent[0], proctree.pss_kib(app.pid)))
    waited = 0.0
    t_last = time.monotonic()
    while cached(data, tag) < sent[0] and waited < 60:
        time.sleep(1)
        waited = time.monotonic() - t_last
    result['cached'] = cached(data, tag)
    result['sent'] = sent[0]
    result['failures'] = failures[:3]
    result['cached_after_s'] = waited
    result['receiving'] = {'cpu': ticks / elapsed * 100, 'wakeups': switches / elapsed,
                           'cpu_ms_per_message': ticks * 1000 / max(1, sent[0]), 'seconds': elapsed}
    first = next((s for s in samples if s[0] >= min(1000, MESSAGES // 4)), samples[0])
    second_half = [s for s in samples if s[0] >= MESSAGES / 2]
    result['pss'] = {'first': first, 'last': samples[-1], 'slope': slope_per_thousand(second_half),
                     'samples': len(samples)}
    time.sleep(max(0.0, CARET_REST + 2 - waited))
    log(f'[{name}] idle again, the conversation open')
    states['idle again, the conversation open'] = cost(app.pid, IDLE)
    app.display.xdotool('windowunmap', '--sync', app.window)
    time.sleep(3)
    log(f'[{name}] idle: hidden')
    states['window hidden (to the tray)'] = cost(app.pid, IDLE)
    server.close()
    time.sleep(5)
    log(f'[{name}] idle: offline')
    states['server gone: offline, retrying'] = cost(app.pid, IDLE)
    result['pss_end'] = proctree.pss_kib(app.pid)
    app.close()
    result['states'] = states

    if not strict:
        result['accounts'] = accounts_cost(dialects)
    return result


def accounts_cost(dialects):
    """PSS of the app settled on one, two and three accounts."""
    server = Server(False)
    out = []
    for n in range(1, len(dialects) + 1):
        data, _ = signed_in(server, dialects[:n])
        cli(data, 'sync')
        log(f'[accounts] {n}')
        app = App(data)
        time.sleep(10)
        out.append(proctree.pss_kib(app.pid))
        app.close()
    server.close()
    return out


FLOOR_COMMANDS = {
    'an empty WebKitGTK window (MiniBrowser, about:blank)': [MINIBROWSER, 'about:blank'],
    'the same with a focused text field, caret blinking': [MINIBROWSER, 'data:text/html,<textarea autofocus></textarea>'],
    'Telegram Desktop, login screen': ['telegram-desktop'],
    'nheko, login screen': ['nheko'],
}


def floors():
    out = {}
    for name, command in FLOOR_COMMANDS.items():
        if not shutil.which(command[0]):
            log(f'bench-day: {command[0]} is missing; its floor is left out')
            continue
        log(f'[floor] {name}')
        display = Display()
        home = tempfile.mkdtemp(dir=WORK, prefix='home-')
        env = display.env(HOME=home, XDG_CONFIG_HOME=f'{home}/.config', XDG_DATA_HOME=f'{home}/.local/share',
                          XDG_CACHE_HOME=f'{home}/.cache')
        process = spawn(command, env=env)
        try:
            window = display.window_of(process.pid)
            display.xdotool('windowfocus', '--sync', window)
            time.sleep(8)
            out[name] = cost(process.pid, IDLE)
        except SystemExit as error:
            log(error)
        stop(process)
        display.close()
    return out


def mib(kib):
    return f'{kib / 1024:.0f} MiB'


def report(results, floor):
    print(f'BENCH_DAY_MESSAGES={MESSAGES} at {RATE:g}/s; idle states measured over {IDLE:g} s each.')
    print()
    names = list(results[0]['states'])
    print('| idle state | ' + ' | '.join(f'{r["server"]} server' for r in results) + ' |')
    print('|---|' + '---:|' * len(results))
    for state in names:
        cells = [f'{r["states"][state]["cpu"]:.2f}%, {r["states"][state]["wakeups"]:.1f}/s' for r in results]
        print(f'| {state} | ' + ' | '.join(cells) + ' |')
    for name, c in floor.items():
        print(f'| floor: {name} | {c["cpu"]:.2f}%, {c["wakeups"]:.1f}/s |' + ' |' * (len(results) - 1))
    print()
    print('| receiving | ' + ' | '.join(f'{r["server"]} server' for r in results) + ' |')
    print('|---|' + '---:|' * len(results))
    rows = [
        ('CPU while receiving', lambda r: f'{r["receiving"]["cpu"]:.2f}% ({r["receiving"]["wakeups"]:.0f} wakeups/s)'),
        ('CPU per message', lambda r: f'{r["receiving"]["cpu_ms_per_message"]:.1f} ms'),
        ('cached / sent, 60 s after the last', lambda r: f'{r["cached"]} / {r["sent"]} ({100 * r["cached"] / max(1, r["sent"]):.1f}%, all in {r["cached_after_s"]:.0f} s)' if r['cached'] == r['sent'] else f'{r["cached"]} / {r["sent"]} ({100 * r["cached"] / max(1, r["sent"]):.1f}%)'),
        ('PSS at the first sample past 1,000 (or a quarter)', lambda r: f'{mib(r["pss"]["first"][1])} at {r["pss"]["first"][0]}'),
        ('PSS at the end', lambda r: f'{mib(r["pss"]["last"][1])} at {r["pss"]["last"][0]} ({100 * (r["pss"]["last"][1] / r["pss"]["first"][1] - 1):+.1f}%)'),
        ('PSS slope over the second half', lambda r: f'{r["pss"]["slope"] / 1024:+.2f} MiB per 1,000 messages'),
    ]
    for label, cell in rows:
        print(f'| {label} | ' + ' | '.join(cell(r) for r in results) + ' |')
    for r in results:
        if r['failures']:
            print(f'\n{r["server"]}: sends that failed, first ones: {r["failures"]}')
        if 'accounts' in r:
            a = r['accounts']
            steps = ', '.join(f'{(a[i] - a[i - 1]) / 1024:+.1f} MiB' for i in range(1, len(a)))
            print(f'\nPSS of the settled app on 1, 2, 3 accounts ({r["server"]} server): '
                  f'{", ".join(mib(x) for x in a)}; each added account: {steps}.')


def main():
    for tool in ('Xvfb', 'xdotool', 'xdpyinfo'):
        if not shutil.which(tool):
            raise SystemExit(f'bench-day: {tool} is missing (scripts/ensure-system.sh bench e2e installs it)')
    try:
        results = [day(mode == 'strict') for mode in SERVERS]
        floor = floors() if FLOORS else {}
        report(results, floor)
    finally:
        for process in PROCESSES:
            stop(process)
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == '__main__':
    main()
