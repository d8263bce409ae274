import { describe as suite, expect, it } from 'vitest';
import { describe } from './backend';

suite('describe', () => {
  it('names the app and its version', () => {
    expect(describe({ name: 'Confab', version: '1.2.3' })).toBe('Confab 1.2.3');
  });
});
