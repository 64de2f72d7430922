/**
 * Media on a device (issue 19 item 5): files open with downloadFile + openDocument; a video
 * carries its cover (uploaded with it) and plays full-screen; one shared InnerAudioContext (the
 * previous voice stops, the mute switch is not obeyed, the playing bubble animates); upload
 * progress in the bubble, cancellable.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { mediaUrl } from '../lib/format.js';
import { ChatLogic, initialChatData } from '../pages/chat/chat-logic.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';
import { PNG_1X1, sampleJpeg, sampleMp3, sampleMp4, tempFile } from './support/samples.js';

async function twoInAChat(wxOpts = {}) {
  const s = await startServer();
  const alice = await loggedIn(s, 'alice', '爱丽丝', { wx: wxOpts });
  const bob = await loggedIn(s, 'bob', '鲍勃');
  alice.fake.privacyAgreed = true;
  const view = captureView(initialChatData());
  const chat = new ChatLogic(view, alice.session);
  await chat.open({ conv: 'd:alice:bob' });
  return { s, alice, bob, view, chat };
}

const body = (m: { body: unknown }) => m.body as Record<string, unknown>;

describe('media messages', () => {
  it('a file opens with downloadFile + openDocument (type and size shown); types WeChat cannot show say so', async () => {
    const { alice, bob, view, chat } = await twoInAChat();
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 0x20), Buffer.from('\n%%EOF\n')]);
    alice.fake.nextFiles = [{ path: await tempFile('报告.pdf', pdf), size: pdf.length, name: '报告.pdf', type: 'file' }];
    await chat.pick('file');
    await until(() => view.data.items.some((i) => i.msg.kind === 'file' && i.msg.status === 'sent'), 'file sent');
    const sent = view.data.items.find((i) => i.msg.kind === 'file');
    expect(body(sent?.msg ?? { body: {} })).toMatchObject({ name: '报告.pdf', size: pdf.length });

    // Bob taps it: downloaded, then opened as a PDF with the share menu.
    const bobView = captureView(initialChatData());
    const bobChat = new ChatLogic(bobView, bob.session);
    await bobChat.open({ conv: 'd:alice:bob' });
    await until(() => bobView.data.items.some((i) => i.msg.kind === 'file'), 'bob sees the file');
    const row = bobView.data.items.find((i) => i.msg.kind === 'file');
    const url = mediaUrl(body(row?.msg ?? { body: {} }).url, bob.session.baseUrl);
    await bobChat.openFile(url, '报告.pdf');
    expect(bob.fake.documents).toEqual([{ filePath: bob.fake.downloads[0].tempFilePath, fileType: 'pdf', showMenu: true }]);
    expect(await readFile(bob.fake.downloads[0].tempFilePath)).toEqual(pdf);

    await bobChat.openFile(url, '压缩包.zip');
    expect(bob.fake.toasts.at(-1)).toBe('暂不支持打开此类文件');
    expect(bob.fake.documents.length).toBe(1);
    chat.close();
    bobChat.close();
  });

  it('a video is sent with its cover (thumbTempFilePath) and plays full-screen with it', async () => {
    const { alice, view, chat } = await twoInAChat();
    alice.fake.nextMedia = [
      {
        tempFilePath: await tempFile('v.mp4', sampleMp4(42_000)),
        thumbTempFilePath: await tempFile('v.jpg', sampleJpeg(320, 180)),
        size: 4096,
        fileType: 'video',
        duration: 42,
        width: 320,
        height: 180,
      },
    ];
    await chat.pick('album');
    await until(() => view.data.items.some((i) => i.msg.kind === 'video' && i.msg.status === 'sent'), 'video sent');
    const m = view.data.items.find((i) => i.msg.kind === 'video')?.msg;
    const b = body(m ?? { body: {} });
    expect(String(b.url)).toMatch(/\/media\//);
    expect(String(b.cover)).toMatch(/\/media\//);
    expect(b.cover).not.toBe(b.url);
    expect(b.duration).toBe(42_000);
    chat.playVideo(mediaUrl(b.url, alice.session.baseUrl), mediaUrl(b.cover, alice.session.baseUrl));
    expect(alice.fake.mediaPreviews).toEqual([
      { sources: [{ url: mediaUrl(b.url, alice.session.baseUrl), type: 'video', poster: mediaUrl(b.cover, alice.session.baseUrl) }] },
    ]);
    chat.close();
  });

  it('voice: one shared InnerAudioContext, the previous clip stops, mute switch not obeyed, the playing bubble is marked', async () => {
    const { alice, bob, view, chat } = await twoInAChat();
    const mp3 = await tempFile('v.mp3', sampleMp3());
    for (const d of [2000, 5000]) {
      const up = await bob.session.upload(mp3, 'audio');
      await bob.session.need().send('u:alice', 'audio', { url: up.url, duration: d });
    }
    await until(() => view.data.items.filter((i) => i.msg.kind === 'audio').length === 2, 'two voice messages');
    const [a, b] = view.data.items.filter((i) => i.msg.kind === 'audio');
    const urlOf = (i: typeof a) => mediaUrl(body(i.msg).url, alice.session.baseUrl);
    chat.playAudio(a.key, urlOf(a));
    await until(() => view.data.items.find((i) => i.key === a.key)?.playing === true, 'first playing');
    chat.playAudio(b.key, urlOf(b));
    await until(() => view.data.items.find((i) => i.key === b.key)?.playing === true, 'second playing');
    expect(view.data.items.find((i) => i.key === a.key)?.playing).toBe(false);
    expect(alice.fake.audios.length).toBe(1);
    expect(alice.fake.audioOption).toMatchObject({ obeyMuteSwitch: false });
    expect(alice.fake.audios[0].log).toEqual([`play ${urlOf(a)}`, 'stop', `play ${urlOf(b)}`]);
    // The switch's own onStop does not end the new clip; its end does.
    await new Promise((r) => setTimeout(r, 20));
    expect(view.data.items.find((i) => i.key === b.key)?.playing).toBe(true);
    alice.fake.audios[0].end();
    await until(() => view.data.items.every((i) => !i.playing), 'stopped at the end');
    // A tap on the playing one stops it.
    chat.playAudio(a.key, urlOf(a));
    chat.playAudio(a.key, urlOf(a));
    expect(view.data.items.every((i) => !i.playing)).toBe(true);
    chat.close();
    expect(alice.fake.audios[0].destroyed).toBe(true);
  });

  it('upload progress shows in the bubble; "取消" aborts the upload and nothing is sent', async () => {
    const { s, alice, view, chat } = await twoInAChat({ uploadStepMs: 40 });
    alice.fake.nextMedia = [{ tempFilePath: await tempFile('a.png', PNG_1X1), size: 68, fileType: 'image', width: 1, height: 1 }];
    const picking = chat.pick('album');
    await until(() => view.data.items.length === 1 && view.data.items[0].progress >= 20, 'progress shown');
    const key = view.data.items[0].key;
    // Progress ticks only touch the row's progress path.
    const ticks = view.patches.filter((p) => Object.keys(p).some((k) => k.endsWith('.progress')));
    expect(ticks.length).toBeGreaterThan(0);
    expect(ticks.every((p) => Object.keys(p).every((k) => /^items\[0\](\.msg)?\.progress$/.test(k)))).toBe(true);
    chat.cancelUpload(key);
    await picking;
    expect(view.data.items).toEqual([]);
    expect(alice.fake.refused).toContain('uploadFile:fail abort');
    const token = await s.login('alice');
    const history = await s.http('GET', `/api/conversations/${encodeURIComponent('d:alice:bob')}/messages`, { token });
    expect(history.body.messages).toEqual([]);

    // Completed upload: the row becomes the message in place (same key), progress gone.
    alice.fake.nextMedia = [{ tempFilePath: await tempFile('b.png', PNG_1X1), size: 68, fileType: 'image', width: 1, height: 1 }];
    await chat.pick('album');
    await until(() => view.data.items[0]?.msg.status === 'sent', 'sent');
    expect(view.data.items).toHaveLength(1);
    expect(view.data.items[0].progress).toBe(-1);
    chat.close();
  });
});
