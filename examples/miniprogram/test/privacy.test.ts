/**
 * The 用户隐私保护指引 flow and the microphone permission (issue 19 item 4): privacy APIs wait for
 * the agreement popup (album, camera, file picker, clipboard, recorder); refusing fails them with a
 * sentence, not silently; the microphone is asked when switching to voice, and a refusal leads to
 * the settings page.
 */
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { AGREE_BUTTON_ID } from '../lib/privacy.js';
import { ChatLogic, initialChatData } from '../pages/chat/chat-logic.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';
import { PNG_1X1, sampleMp3, tempFile } from './support/samples.js';

async function openChat() {
  const s = await startServer();
  const alice = await loggedIn(s, 'alice', '爱丽丝');
  await s.login('bob', '鲍勃');
  const view = captureView(initialChatData());
  const chat = new ChatLogic(view, alice.session);
  await chat.open({ conv: 'd:alice:bob' });
  return { s, alice, view, chat };
}

describe('privacy agreement', () => {
  it('the album waits for the popup: "拒绝" fails it with a sentence; agreeing lets it go on and is remembered', async () => {
    const { alice, view, chat } = await openChat();
    alice.fake.nextMedia = [{ tempFilePath: await tempFile('a.png', PNG_1X1), size: 68, fileType: 'image', width: 1, height: 1 }];
    const refused = chat.pick('album');
    await until(() => view.data.privacy.shown, 'popup');
    expect(view.data.privacy.referrer).toBe('chooseMedia');
    chat.disagreePrivacy();
    await refused;
    expect(alice.fake.refused).toContain('chooseMedia:fail privacy permission is not authorized');
    expect(alice.fake.toasts.at(-1)).toBe('需要同意隐私保护指引才能选择文件');
    expect(view.data.items).toEqual([]);

    // Agreeing without tapping the agreement button does not count (the base library checks the button).
    const picking = chat.pick('album');
    await until(() => view.data.privacy.shown, 'popup again');
    alice.fake.tapAgreeButton(AGREE_BUTTON_ID);
    chat.agreePrivacy();
    await picking;
    await until(() => view.data.items.some((i) => i.msg.kind === 'image' && i.msg.status === 'sent'), 'image sent after agreeing');
    expect(view.data.privacy.shown).toBe(false);

    // Remembered: the file picker goes straight on.
    alice.fake.nextFiles = [];
    const prompts = alice.fake.privacyPrompts.length;
    await chat.pick('file');
    expect(alice.fake.privacyPrompts.length).toBe(prompts);
    chat.close();
  });

  it('without the popup wired, a privacy API fails (what the old code got: a picker that silently did nothing)', async () => {
    const { AppFakeWx } = await import('./support/app-fake-wx.js');
    const fake = new AppFakeWx();
    const err = await new Promise<string>((resolve) => fake.app.chooseMedia({ count: 1, success: () => resolve('ok'), fail: (e) => resolve(e.errMsg) }));
    expect(err).toBe('chooseMedia:fail privacy permission is not authorized');
  });
});

describe('microphone permission', () => {
  it('asked up front when switching to voice; granted → voice mode', async () => {
    const { alice, view, chat } = await openChat();
    alice.fake.privacyAgreed = true;
    alice.fake.nextAuthorize = 'allow';
    expect(await chat.setVoiceMode(true)).toBe(true);
    expect(view.data.voiceMode).toBe(true);
    expect(alice.fake.authSetting['scope.record']).toBe(true);
    // Recording then works and sends a voice message.
    alice.fake.nextRecording = { tempFilePath: await tempFile('v.mp3', sampleMp3()), duration: 3000, fileSize: 4000 };
    chat.voiceStart();
    await until(() => alice.fake.recorderLog.includes('start'), 'recording');
    chat.voiceEnd();
    await until(() => view.data.items.some((i) => i.msg.kind === 'audio' && i.msg.status === 'sent'), 'voice message sent');
    expect(alice.fake.recorderLog).toEqual(['start', 'stop']);
    chat.close();
  });

  it('refused: the keyboard stays, a modal offers the settings page; turning it on there enables voice', async () => {
    const { alice, view, chat } = await openChat();
    alice.fake.privacyAgreed = true;
    alice.fake.nextAuthorize = 'deny';
    alice.fake.nextModalConfirm = false;
    expect(await chat.setVoiceMode(true)).toBe(false);
    expect(view.data.voiceMode).toBe(false);
    expect(alice.fake.modals.at(-1)?.title).toBe('需要麦克风权限');
    expect(alice.fake.toasts.at(-1)).toBe('未获得麦克风权限，无法发送语音');
    // WeChat does not ask again after a refusal: the next try goes to the modal, then settings.
    alice.fake.nextModalConfirm = true;
    alice.fake.nextOpenSetting = { 'scope.record': true };
    expect(await chat.setVoiceMode(true)).toBe(true);
    expect(alice.fake.openSettingCalls).toBe(1);
    expect(view.data.voiceMode).toBe(true);
    chat.close();
  });
});
