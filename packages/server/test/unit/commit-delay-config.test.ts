/** The commit delay's settings: unset means the storage's own (group-committer.ts scales its band with the delay). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

describe('commit delay settings', () => {
  it('leaves both unset by default, so the storage chooses', () => {
    const c = loadConfig({ MINIIM_DATA_DIR: '/tmp/miniim-config-test' });
    expect(c.commitDelayMs).toBeUndefined();
    expect(c.commitDelaySiblings).toBeUndefined();
  });

  it('takes them from the environment, fractions of a ms allowed', () => {
    const c = loadConfig({ MINIIM_DATA_DIR: '/tmp/miniim-config-test', MINIIM_COMMIT_DELAY_MS: '1.5', MINIIM_COMMIT_DELAY_SIBLINGS: '2' });
    expect(c.commitDelayMs).toBe(1.5);
    expect(c.commitDelaySiblings).toBe(2);
  });

  it('refuses a sibling count under 1 and names the variable', () => {
    expect(() => loadConfig({ MINIIM_DATA_DIR: '/tmp/miniim-config-test', MINIIM_COMMIT_DELAY_SIBLINGS: '0' })).toThrow(/MINIIM_COMMIT_DELAY_SIBLINGS/);
  });
});
