import { readFileSync } from 'node:fs';
import type { StageVerdict, TextCheckStage } from './moderation-types.js';
import { normalizeForMatch } from './text-normalizer.js';

/**
 * Local keyword filter: Aho-Corasick automaton over normalised text
 * (normalizeForMatch), so "ＢＡＤ", "b a d" and "b.a.d" all hit "bad". One pass
 * over the text whatever the number of words.
 */
export class KeywordFilter implements TextCheckStage {
  readonly name = 'keywords';
  /** Per node: UTF-16 code unit → child node. */
  private readonly next: Array<Map<number, number>> = [new Map()];
  private readonly fail: number[] = [0];
  /** Per node: a word ending here or at a failure ancestor (-1 if none). */
  private readonly out: number[] = [-1];
  private readonly words: string[] = [];

  constructor(words: Iterable<string>) {
    const seen = new Set<string>();
    for (const w of words) {
      const n = normalizeForMatch(w);
      if (n === '' || seen.has(n)) continue;
      seen.add(n);
      this.insert(n, this.words.length);
      this.words.push(w.trim());
    }
    this.link();
  }

  /** Reads a word list: one word per line; blank lines and lines starting with `#` are skipped. */
  static fromFile(path: string, extra: string[] = []): KeywordFilter {
    return new KeywordFilter([...parseWordList(readFileSync(path, 'utf8')), ...extra]);
  }

  /** Number of distinct words. */
  get size(): number {
    return this.words.length;
  }

  /** The first listed word found in `text`, or undefined. */
  match(text: string): string | undefined {
    const s = normalizeForMatch(text);
    let node = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      while (node !== 0 && !this.next[node].has(c)) node = this.fail[node];
      node = this.next[node].get(c) ?? 0;
      if (this.out[node] !== -1) return this.words[this.out[node]];
    }
    return undefined;
  }

  async check(text: string): Promise<StageVerdict> {
    const hit = this.match(text);
    return hit === undefined ? { suggest: 'pass' } : { suggest: 'risky', label: `keyword:${hit}` };
  }

  private insert(word: string, index: number): void {
    let node = 0;
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      let child = this.next[node].get(c);
      if (child === undefined) {
        child = this.next.length;
        this.next.push(new Map());
        this.fail.push(0);
        this.out.push(-1);
        this.next[node].set(c, child);
      }
      node = child;
    }
    this.out[node] = index;
  }

  /** Breadth-first failure links; `out` inherits from the failure node. */
  private link(): void {
    const queue: number[] = [];
    for (const child of this.next[0].values()) queue.push(child);
    for (let qi = 0; qi < queue.length; qi++) {
      const node = queue[qi];
      for (const [c, child] of this.next[node]) {
        let f = this.fail[node];
        while (f !== 0 && !this.next[f].has(c)) f = this.fail[f];
        const target = this.next[f].get(c);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
        if (this.out[child] === -1) this.out[child] = this.out[this.fail[child]];
        queue.push(child);
      }
    }
  }
}

/** Words of a word-list file's text. */
export function parseWordList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
