// The IPC contract (fixtures/contract/ipc.json) run against the fake backend. The same steps
// run against the real commands in Tauri's mock runtime (`the_ipc_contract_holds_for_the_real_
// commands` in src-tauri/src/commands.rs), which records the shapes of their answers in
// fixtures/contract/shapes.json: the fake must answer and fail the same way, in the same shapes.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FakeBackend } from './fake-backend';
import { commandArgs, type Commands } from './commands';

type Step = { call: string; args: Record<string, unknown>; save?: Record<string, string>; error?: string };
type Shape = string | { array: Shape } | { [key: string]: Shape };

const fixture = (name: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../fixtures/contract/${name}`, import.meta.url)), 'utf8'));
const contract: { steps: Step[] } = fixture('ipc.json');
const recorded: { shapes: { step: number; call: string; shape: Shape }[] } = fixture('shapes.json');

/** The same as `shape` in commands.rs. */
function shape(value: unknown): Shape {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return { array: value.length ? shape(value[0]) : 'empty' };
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

/**
 * Where `actual` differs from `expected`: a null on either side matches anything (an optional
 * field set on one side only), an empty list matches any list, and `extra` (a server's own
 * fields) is free.
 */
function differences(expected: Shape, actual: Shape, at = ''): string[] {
  if (expected === 'null' || actual === 'null') return [];
  if (typeof expected === 'string' || typeof actual === 'string') {
    return expected === actual ? [] : [`${at || '.'}: ${JSON.stringify(actual)} where the commands answer ${JSON.stringify(expected)}`];
  }
  if ('array' in expected && Object.keys(expected).length === 1) {
    if (!('array' in actual)) return [`${at}: not a list`];
    const [e, a] = [expected.array, (actual as { array: Shape }).array];
    return e === 'empty' || a === 'empty' ? [] : differences(e, a, `${at}[0]`);
  }
  const e = expected as Record<string, Shape>;
  const a = actual as Record<string, Shape>;
  const out: string[] = [];
  for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
    if (key === 'extra') continue;
    if (!(key in a)) out.push(`${at}.${key}: missing`);
    else if (!(key in e)) out.push(`${at}.${key}: not in the commands' answer`);
    else out.push(...differences(e[key], a[key], `${at}.${key}`));
  }
  return out;
}

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Commands;

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, part) => (v as Record<string, unknown>)?.[part], value);
}

function substituted(value: unknown, saved: Record<string, unknown>): unknown {
  if (typeof value === 'string' && value.startsWith('$')) return saved[value.slice(1)];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituted(v, saved)]));
  }
  return value;
}

describe('the IPC contract, against the fake backend', () => {
  it('answers and fails as the real commands do, in the same shapes', async () => {
    const backend = new FakeBackend();
    const saved: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [n, step] of contract.steps.entries()) {
      const name = camel(step.call);
      const args = substituted(step.args, saved) as Record<string, unknown>;
      const method = backend[name] as unknown as (...a: unknown[]) => Promise<unknown>;
      expect(method, `the fake has ${name}`).toBeTypeOf('function');
      const positional = commandArgs[name].map((arg) => args[arg]);
      let answer: unknown;
      let failure: { code?: string; message?: string } | undefined;
      try {
        answer = await method.apply(backend, positional);
      } catch (error) {
        failure = error as { code?: string; message?: string };
      }
      if (step.error) {
        if (!failure) problems.push(`step ${n} ${step.call}: answered, where the commands fail with ${step.error}`);
        else if (failure.code !== step.error) problems.push(`step ${n} ${step.call}: failed with ${failure.code}, not ${step.error}`);
        continue;
      }
      if (failure) {
        problems.push(`step ${n} ${step.call}: failed with ${JSON.stringify(failure)}`);
        continue;
      }
      for (const [key, path] of Object.entries(step.save ?? {})) saved[key] = at(answer, path);
      const expected = recorded.shapes.find((s) => s.step === n);
      expect(expected?.call, `shapes.json records step ${n}`).toBe(step.call);
      problems.push(...differences(expected!.shape, shape(answer)).map((d) => `step ${n} ${step.call}: ${d}`));
    }
    expect(problems).toEqual([]);
  });

  it('finds a drifted answer', () => {
    const real: Shape = { id: 'string', unread: 'number', tags: { array: 'string' } };
    expect(differences(real, { id: 'string', unread: 'number', tags: { array: 'empty' } })).toEqual([]);
    expect(differences(real, { id: 'string', unread: 'string', tags: { array: 'string' } })).toHaveLength(1);
    expect(differences(real, { id: 'string', tags: { array: 'string' } })).toEqual(['.unread: missing']);
    expect(differences(real, { ...real, renamed: 'string' })).toEqual(['.renamed: not in the commands\' answer']);
  });
});
