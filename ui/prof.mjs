import { build, preview } from 'vite';
import { chromium } from 'playwright-core';
const outDir = '/tmp/prof/dist';
await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true, minify: false } });
const server = await preview({ logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } });
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
await page.goto(base + (process.argv[2] ?? ''));
await page.getByTestId('conversation').first().waitFor();
await page.locator('[data-conversation="c-ada"]').click();
await page.waitForTimeout(1500);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const m = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
const target = process.argv[3] ?? 'c-ada';
await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start');
const before = await m();
const n = 30;
for (let i = 0; i < n; i++) {
  await page.evaluate(([t, i]) => { const f = globalThis.confabFake; const c = f.conversations ? null : null; f.receive('a-portal', t, 'ada', 'hello there ' + i); }, [target, i]);
  await page.waitForTimeout(333);
}
const after = await m();
const { profile } = await cdp.send('Profiler.stop');
const self = new Map(); const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = profile.timeDeltas; const counts = new Map();
profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0)));
for (const [id, t] of counts) { const n = byId.get(id); const cf = n.callFrame; const k = `${cf.functionName || '(anon)'} ${cf.url.split('/').pop()}:${cf.lineNumber}`; self.set(k, (self.get(k) ?? 0) + t); }
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, t]) => `${(t / 1000 / n).toFixed(2)}ms ${k}`).join('\n'));
for (const k of ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'LayoutCount', 'RecalcStyleCount', 'Nodes', 'JSHeapUsedSize'])
  console.log(k, ((after[k] - before[k]) / n * (k.endsWith('Duration') ? 1000 : 1)).toFixed(2), k.endsWith('Duration') ? 'ms/msg' : '/msg');
await browser.close(); await server.close();
