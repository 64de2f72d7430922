import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HAND_WRITTEN_MARKER, writeDocs } from '../lib/docs-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('writeDocs', () => {
  it('regenerates the tables but keeps the hand-written tail after the marker', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-docs-'));
    dirs.push(dir);
    const doc = join(dir, 'benchmarks.md');
    const tail = `${HAND_WRITTEN_MARKER}\n\n## Measured by hand\n\n| a | b |\n|---|---|\n| 1 | 2 |\n`;
    writeFileSync(doc, `# Benchmarks\n\nold generated text\n\n${tail}`);
    writeDocs(dir, doc);
    const text = readFileSync(doc, 'utf8');
    expect(text).not.toContain('old generated text');
    expect(text.endsWith(tail)).toBe(true);
    expect(text.indexOf(HAND_WRITTEN_MARKER)).toBe(text.lastIndexOf(HAND_WRITTEN_MARKER));
  });

  it('writes no tail when the doc has no marker', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-docs-'));
    dirs.push(dir);
    const doc = join(dir, 'benchmarks.md');
    writeFileSync(doc, '# Benchmarks\n\nsomething without a marker\n');
    writeDocs(dir, doc);
    expect(readFileSync(doc, 'utf8')).not.toContain('something without a marker');
  });

  it("regenerating the project's docs/benchmarks.md from bench/results keeps every one of its sections", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-docs-'));
    dirs.push(dir);
    const repoDoc = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
    const doc = join(dir, 'benchmarks.md');
    copyFileSync(repoDoc, doc);
    writeDocs(fileURLToPath(new URL('../results', import.meta.url)), doc);
    const headings = (text: string) => text.split('\n').filter((l) => /^#{1,3} /.test(l));
    const before = headings(readFileSync(repoDoc, 'utf8'));
    expect(before.length).toBeGreaterThan(10);
    expect(headings(readFileSync(doc, 'utf8'))).toEqual(before);
  });
});
