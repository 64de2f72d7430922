/**
 * The five components rendered by miniprogram-simulate (in headless Chromium, see
 * support/simulate-browser.ts) with realistic data; checks the rendered structure and the
 * events each one triggers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSimulate, type SimulatePage } from './support/simulate-browser.js';

/* Page-side helper types (the page runs the simulate bundle, see support/simulate-browser.ts). */
interface Comp {
  querySelector(sel: string): Comp | undefined;
  querySelectorAll(sel: string): Comp[];
  dispatchEvent(name: string, opts?: unknown): void;
  setData(d: unknown): void;
  dom: HTMLElement;
  data: Record<string, unknown>;
}
interface PageWin {
  __mount(name: string, props: unknown, events?: string[]): Comp;
  __text(c: Comp, sel: string): string | null;
  __has(c: Comp, sel: string): boolean;
  __attr(c: Comp, sel: string, name: string): string | null;
  __events: Array<{ name: string; detail: Record<string, unknown> }>;
  simulate: { sleep(ms: number): Promise<void> };
}

const BASE = 'https://im.example.com';
const NOW = new Date(2024, 2, 8, 15, 30).getTime();
const msg = (over: Record<string, unknown>) => ({
  id: 'm1',
  conv: 'd:alice:bob',
  seq: 1,
  from: 'alice',
  kind: 'text',
  body: { text: '你好' },
  ts: NOW - 60_000,
  status: 'sent',
  ...over,
});

let sim: SimulatePage;
beforeAll(async () => {
  sim = await openSimulate();
}, 30_000);
afterAll(async () => {
  await sim?.close();
});

/** Runs `fn` in the page with the helpers; returns what it returns. */
function inPage<A, R>(fn: (w: PageWin, arg: A) => R | Promise<R>, arg: A): Promise<R> {
  return sim.page.evaluate(
    ({ src, a }) => {
      // biome-ignore lint/security/noGlobalEval: the test body is shipped to the page as source
      const indirectEval = window.eval;
      const f = indirectEval(`(${src})`) as (w: unknown, arg: unknown) => unknown;
      return f(window, a);
    },
    { src: fn.toString(), a: arg },
  ) as Promise<R>;
}

describe('message-bubble', () => {
  it('mine: right side, text, no status once sent, "已读" when read; long press asks for the menu', async () => {
    const out = await inPage(async (w, m) => {
      const c = w.__mount('message-bubble', { msg: m, mine: true, me: 'alice', itemKey: 'c-1', read: true, avatarName: '爱丽丝' }, ['menu', 'resend']);
      w.__events.length = 0;
      c.querySelector('.bubble')?.dispatchEvent('longpress');
      await w.simulate.sleep(10);
      return {
        mine: w.__has(c, '.row-mine'),
        theirs: w.__has(c, '.row-theirs'),
        text: w.__text(c, '.text'),
        read: w.__text(c, '.read'),
        status: w.__has(c, '.status'),
        name: w.__has(c, '.name'),
        avatar: w.__text(c.querySelector('.row-avatar') as Comp, '.avatar-initial'),
        events: w.__events,
      };
    }, msg({}));
    expect(out).toEqual({
      mine: true,
      theirs: false,
      text: '你好',
      read: '已读',
      status: false,
      name: false,
      avatar: '爱',
      events: [{ name: 'menu', detail: { key: 'c-1' } }],
    });
  });

  it('theirs in a group: left side with the sender name and avatar picture', async () => {
    const out = await inPage(
      (w, m) => {
        const c = w.__mount('message-bubble', {
          msg: m,
          mine: false,
          me: 'alice',
          name: '鲍勃',
          avatarName: '鲍勃',
          avatarUrl: '/media/bob.png',
          baseUrl: 'https://im.example.com',
        });
        const avatar = c.querySelector('.row-avatar') as Comp;
        return {
          theirs: w.__has(c, '.row-theirs'),
          name: w.__text(c, '.name'),
          text: w.__text(c, '.text'),
          avatarSrc: w.__attr(avatar, '.avatar-img', 'src'),
          read: w.__has(c, '.read'),
        };
      },
      msg({ from: 'bob', conv: 'g:team', body: { text: '大家好' } }),
    );
    expect(out).toEqual({ theirs: true, name: '鲍勃', text: '大家好', avatarSrc: `${BASE}/media/bob.png`, read: false });
  });

  it('recalled: a centred notice instead of the bubble (mine and theirs)', async () => {
    const out = await inPage(
      (w, [mine, theirs]) => {
        const a = w.__mount('message-bubble', { msg: mine, mine: true, me: 'alice' });
        const b = w.__mount('message-bubble', { msg: theirs, mine: false, me: 'alice', name: '鲍勃' });
        return [w.__text(a, '.notice'), w.__has(a, '.bubble'), w.__text(b, '.notice'), w.__has(b, '.bubble')];
      },
      [msg({ body: {}, recalled: { by: 'alice', ts: NOW } }), msg({ from: 'bob', body: {}, recalled: { by: 'bob', ts: NOW } })],
    );
    expect(out).toEqual(['你撤回了一条消息', false, '鲍勃撤回了一条消息', false]);
  });

  it('image: server path resolved against the base URL, sized by its ratio; tap asks for a preview', async () => {
    const out = await inPage(
      async (w, m) => {
        const c = w.__mount('message-bubble', { msg: m, mine: false, itemKey: 'm-9', baseUrl: 'https://im.example.com' }, ['preview']);
        w.__events.length = 0;
        c.querySelector('.bubble')?.dispatchEvent('tap');
        await w.simulate.sleep(10);
        return { src: w.__attr(c, '.image', 'src'), style: w.__attr(c, '.image', 'style'), events: w.__events };
      },
      msg({ from: 'bob', kind: 'image', body: { url: '/media/2024/a.jpg', width: 800, height: 400 } }),
    );
    expect(out.src).toBe(`${BASE}/media/2024/a.jpg`);
    expect(out.style).toContain('width: 360rpx; height: 180rpx;');
    expect(out.events).toEqual([{ name: 'preview', detail: { key: 'm-9', url: `${BASE}/media/2024/a.jpg` } }]);
  });

  it('video: its cover with a play mark and the length, no inline player; tap asks for the full-screen player', async () => {
    const out = await inPage(
      async (w, m) => {
        const c = w.__mount('message-bubble', { msg: m, mine: true, itemKey: 'm-v', baseUrl: 'https://im.example.com' }, ['video']);
        w.__events.length = 0;
        c.querySelector('.bubble')?.dispatchEvent('tap');
        await w.simulate.sleep(10);
        return {
          inlinePlayer: w.__has(c, 'video'),
          cover: w.__attr(c, '.video-cover', 'src'),
          play: w.__has(c, '.video-play'),
          duration: w.__text(c, '.video-dur'),
          events: w.__events,
        };
      },
      msg({ kind: 'video', body: { url: 'https://cdn.example.com/v.mp4', cover: '/media/c.jpg', duration: 42_000 } }),
    );
    expect(out).toEqual({
      inlinePlayer: false,
      cover: `${BASE}/media/c.jpg`,
      play: true,
      duration: '0:42',
      events: [{ name: 'video', detail: { key: 'm-v', url: 'https://cdn.example.com/v.mp4', cover: `${BASE}/media/c.jpg` } }],
    });
  });

  it('failed: a red mark; tapping it or the bubble asks to resend', async () => {
    const out = await inPage(
      async (w, m) => {
        const c = w.__mount('message-bubble', { msg: m, mine: true, itemKey: 'c-7' }, ['resend']);
        w.__events.length = 0;
        c.querySelector('.status-failed')?.dispatchEvent('tap');
        c.querySelector('.bubble')?.dispatchEvent('tap');
        await w.simulate.sleep(10);
        return { mark: w.__text(c, '.status-failed'), events: w.__events.map((e) => `${e.name}:${e.detail.key}`) };
      },
      msg({ seq: 0, status: 'failed', error: { code: 'content_rejected', message: 'x' } }),
    );
    expect(out).toEqual({ mark: '!', events: ['resend:c-7', 'resend:c-7'] });
  });

  it('upload progress in the bubble with a cancel; voice (playing animation), file with type and size, system', async () => {
    const out = await inPage(
      async (w, ms) => {
        const up = w.__mount('message-bubble', { msg: ms[0], mine: true, progress: 45, itemKey: 'c-up' }, ['cancel', 'preview']);
        const voice = w.__mount('message-bubble', { msg: ms[1], mine: false, playing: true });
        const file = w.__mount('message-bubble', { msg: ms[2], mine: false });
        const sys = w.__mount('message-bubble', { msg: ms[3], mine: false });
        w.__events.length = 0;
        up.querySelector('.bubble')?.dispatchEvent('tap');
        up.querySelector('.upload-cancel')?.dispatchEvent('tap');
        await w.simulate.sleep(10);
        return [
          w.__attr(up, '.upload-fill', 'style'),
          w.__has(up, '.status-sending'),
          w.__events.map((e) => `${e.name}:${e.detail.key}`).join(','),
          w.__has(voice, '.audio-playing'),
          w.__text(voice, '.audio-sec'),
          w.__text(file, '.file-name'),
          w.__text(file, '.file-size'),
          w.__text(sys, '.notice'),
        ];
      },
      [
        msg({ id: 'up-1', seq: 0, kind: 'image', body: { url: 'wxfile://tmp/a.png' }, status: 'sending' }),
        msg({ from: 'bob', kind: 'audio', body: { url: '/media/v.mp3', duration: 3_400 } }),
        msg({ from: 'bob', kind: 'file', body: { url: '/media/r.pdf', name: '报告.pdf', size: 1_572_864 } }),
        msg({ from: 'system', kind: 'system', body: { event: 'group_renamed', name: '周末爬山' } }),
      ],
    );
    expect(out).toEqual(['width: 45%', false, 'cancel:c-up', true, '3″', '报告.pdf', 'PDF · 1.5 MB', '群名称已改为「周末爬山」']);
  });
});

describe('conversation-item', () => {
  it('badge, @ mark, draft, time; muted shows a dot; tap opens', async () => {
    const now = NOW;
    const out = await inPage(
      async (w, { now: n }) => {
        const item = {
          conv: 'g:team',
          kind: 'group',
          title: '项目组',
          avatarUrl: '',
          preview: '鲍勃: [图片]',
          draft: '',
          ts: n - 5 * 60_000,
          unread: 3,
          mentioned: true,
          muted: false,
        };
        const a = w.__mount('conversation-item', { item, now: n }, ['open']);
        const b = w.__mount('conversation-item', {
          item: { ...item, conv: 'd:alice:bob', mentioned: false, muted: true, unread: 120, draft: '明天见' },
          now: n,
        });
        w.__events.length = 0;
        a.querySelector('.conv')?.dispatchEvent('tap');
        await w.simulate.sleep(10);
        return {
          title: w.__text(a, '.conv-title'),
          time: w.__text(a, '.conv-time'),
          badge: w.__text(a, '.conv-badge'),
          mention: w.__text(a, '.conv-mention'),
          preview: w.__text(a, '.conv-preview'),
          mutedBadge: w.__has(b, '.conv-badge'),
          mutedDot: w.__has(b, '.conv-dot'),
          draft: [w.__text(b, '.conv-draft'), w.__text(b, '.conv-preview')],
          bMention: w.__has(b, '.conv-mention'),
          events: w.__events,
        };
      },
      { now },
    );
    expect(out).toEqual({
      title: '项目组',
      time: '15:25',
      badge: '3',
      mention: '[有人@我]',
      preview: '鲍勃: [图片]',
      mutedBadge: false,
      mutedDot: true,
      draft: ['[草稿]', '明天见'],
      bMention: false,
      events: [{ name: 'open', detail: { conv: 'g:team' } }],
    });
  });
});

describe('time-separator and avatar', () => {
  it('formats today, yesterday and older; avatar falls back to a coloured initial', async () => {
    const out = await inPage((w, n) => {
      const t = (ts: number) => w.__text(w.__mount('time-separator', { ts, now: n }), '.time-separator-text');
      const a = w.__mount('avatar', { name: 'bob' });
      const b = w.__mount('avatar', { name: 'bob', src: 'https://x.example.com/b.png' });
      return [
        t(n - 60_000),
        t(n - 86_400_000),
        t(new Date(2023, 0, 2, 9, 5).getTime()),
        w.__text(a, '.avatar-initial'),
        w.__has(a, '.avatar-img'),
        w.__has(b, '.avatar-initial'),
      ];
    }, NOW);
    expect(out).toEqual(['15:29', '昨天 15:30', '2023年1月2日 09:05', 'B', false, false]);
  });
});

describe('input-bar', () => {
  it('shows the draft, reports input, sends and clears itself; "+" panel picks', async () => {
    const out = await inPage(async (w) => {
      const c = w.__mount('input-bar', { value: '草稿' }, ['textchange', 'send', 'pick']);
      w.__events.length = 0;
      const shown = c.data.text;
      c.querySelector('.bar-input')?.dispatchEvent('input', { detail: { value: '草稿，继续写' } });
      await w.simulate.sleep(10);
      const sendVisible = w.__has(c, '.bar-send');
      c.querySelector('.bar-send')?.dispatchEvent('tap');
      await w.simulate.sleep(10);
      const after = c.data.text;
      c.querySelector('.bar-plus')?.dispatchEvent('tap');
      await w.simulate.sleep(10);
      const panel = w.__has(c, '.bar-panel');
      c.querySelectorAll('.bar-item')[1].dispatchEvent('tap');
      await w.simulate.sleep(10);
      return { shown, sendVisible, after, panel, panelAfter: w.__has(c, '.bar-panel'), events: w.__events.map((e) => `${e.name}:${JSON.stringify(e.detail)}`) };
    }, null);
    expect(out).toEqual({
      shown: '草稿',
      sendVisible: true,
      after: '',
      panel: true,
      panelAfter: false,
      events: ['textchange:{"value":"草稿，继续写"}', 'send:{"text":"草稿，继续写"}', 'textchange:{"value":""}', 'pick:{"source":"camera"}'],
    });
  });

  it('hold to talk: press and release sends, sliding up cancels', async () => {
    const out = await inPage(async (w) => {
      const c = w.__mount('input-bar', {}, ['voicestart', 'voiceend', 'modechange']);
      w.__events.length = 0;
      // The switch asks the page (which checks the microphone permission first), then the page turns voice on.
      c.querySelector('.bar-btn')?.dispatchEvent('tap');
      await w.simulate.sleep(10);
      c.setData({ voice: true });
      await w.simulate.sleep(10);
      const talk = () => c.querySelector('.bar-talk');
      const label = w.__text(c, '.bar-talk');
      talk()?.dispatchEvent('touchstart', { touches: [{ x: 100, y: 600 }] });
      await w.simulate.sleep(10);
      const holding = w.__text(c, '.bar-talk');
      talk()?.dispatchEvent('touchend', { changedTouches: [{ x: 100, y: 600 }] });
      await w.simulate.sleep(10);
      talk()?.dispatchEvent('touchstart', { touches: [{ x: 100, y: 600 }] });
      await w.simulate.sleep(10);
      talk()?.dispatchEvent('touchmove', { touches: [{ x: 100, y: 450 }] });
      await w.simulate.sleep(10);
      const cancelHint = w.__text(c, '.bar-recording');
      talk()?.dispatchEvent('touchend', { changedTouches: [{ x: 100, y: 450 }] });
      await w.simulate.sleep(10);
      return { label, holding, cancelHint, events: w.__events.map((e) => `${e.name}:${JSON.stringify(e.detail)}`) };
    }, null);
    expect(out).toEqual({
      label: '按住 说话',
      holding: '松开 发送',
      cancelHint: '松开手指，取消发送',
      events: ['modechange:{"voice":true}', 'voicestart:{}', 'voiceend:{"cancel":false}', 'voicestart:{}', 'voiceend:{"cancel":true}'],
    });
  });
});
