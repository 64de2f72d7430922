import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeywordFilter, parseWordList } from '../../src/moderation/keyword-filter.js';
import { normalizeForMatch } from '../../src/moderation/text-normalizer.js';

const filter = new KeywordFilter(['赌博', '代开发票', 'badword', 'Spam Link', 'he', 'she', 'hers']);

describe('normalizeForMatch', () => {
  it('folds full-width, case and separators', () => {
    expect(normalizeForMatch('ＢＡＤ　ｗｏｒｄ')).toBe('badword');
    expect(normalizeForMatch('b.a-d_w*o|r/d')).toBe('badword');
    expect(normalizeForMatch('赌\u200b博')).toBe('赌博');
    expect(normalizeForMatch('代，开。发、票！')).toBe('代开发票');
  });
});

describe('KeywordFilter', () => {
  it.each([
    ['plain', '这里有赌博网站'],
    ['full-width latin', '买 ＢＡＤＷＯＲＤ 吗'],
    ['inserted spaces', 'b a d w o r d'],
    ['ideographic spaces', '赌　博'],
    ['punctuation between', '代-开-发-票'],
    ['zero-width joiner', '赌\u200d博'],
    ['emoji between', '赌🎲博'],
    ['case', 'BadWord'],
    ['word with a space in the list', 'click spamlink now'],
    ['fullwidth punctuation', '代，开，发，票'],
  ])('hits: %s', (_name, text) => {
    expect(filter.match(text)).toBeDefined();
  });

  it.each([
    ['partial word', '赌一把博弈论'],
    ['missing letter', 'badwrd'],
    ['different order', '发票代开'],
    ['only a prefix', 'bad words'.replace('words', 'wolf')],
    ['empty', ''],
  ])('near-miss does not hit: %s', (_name, text) => {
    expect(filter.match(text)).toBeUndefined();
  });

  it('reports the listed word, including overlapping/suffix patterns', () => {
    expect(filter.match('ushers')).toBe('she');
    expect(new KeywordFilter(['hers']).match('ushers')).toBe('hers');
    expect(new KeywordFilter(['abcd', 'bc']).match('xabcx')).toBe('bc');
    expect(new KeywordFilter(['aab']).match('aaab')).toBe('aab');
  });

  it('agrees with a naive search on random input', () => {
    const alphabet = 'abc';
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const word = (max: number) => Array.from({ length: 1 + Math.floor(rnd() * max) }, () => alphabet[Math.floor(rnd() * 3)]).join('');
    for (let round = 0; round < 200; round++) {
      const words = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => word(4));
      const text = word(12);
      const f = new KeywordFilter(words);
      expect(f.match(text) !== undefined).toBe(words.some((w) => text.includes(w)));
    }
  });

  it('check() returns a risky verdict naming the keyword', async () => {
    expect(await filter.check('赌博')).toEqual({ suggest: 'risky', label: 'keyword:赌博' });
    expect(await filter.check('你好')).toEqual({ suggest: 'pass' });
  });

  it('loads a word list file with comments and blank lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-'));
    const file = join(dir, 'words.txt');
    writeFileSync(file, '# comment\n\n  foo bar  \r\n禁词\n');
    const f = KeywordFilter.fromFile(file, ['extra']);
    expect(f.size).toBe(3);
    expect(f.match('FOO-BAR')).toBe('foo bar');
    expect(f.match('禁 词')).toBe('禁词');
    expect(f.match('ＥＸＴＲＡ')).toBe('extra');
    expect(parseWordList('#x\n a \n')).toEqual(['a']);
  });

  it('ignores words that normalise to nothing', () => {
    const f = new KeywordFilter(['', '   ', '...', 'ok']);
    expect(f.size).toBe(1);
    expect(f.match('... ')).toBeUndefined();
  });

  it('handles a long text against a large list', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `词${i.toString(36)}条`);
    const f = new KeywordFilter(words);
    const text = '普通的聊天内容，没有问题。'.repeat(400);
    expect(f.match(text)).toBeUndefined();
    expect(f.match(`${text}词zz条`)).toBe('词zz条');
  });
});
