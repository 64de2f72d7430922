/**
 * The login page's "绑定手机号" button (`open-type="getPhoneNumber"`): a WeChat login on the fake
 * `wx` runtime against a real server whose WeChat is the fake WeChat server, then the button's code
 * exchanged by the server.
 */
import { describe, expect, it } from 'vitest';
import { onCleanup, startServer } from '../../../packages/sdk/test/support/server.js';
import { FakeWechat } from '../../../packages/server/test/support/fake-wechat.js';
import { phoneButtonDetail } from '../../../packages/server/test/support/wechat-fixtures.js';
import { ImSession } from '../lib/session.js';
import { initialLoginData, LoginLogic } from '../pages/login/login-logic.js';
import { AppFakeWx } from './support/app-fake-wx.js';
import { captureView } from './support/capture-view.js';

const APP_ID = 'wxphonetest0000001';

describe('login page: bind the phone number', () => {
  it('sends the button code to the server and shows the number masked; a refusal sends nothing', async () => {
    const fake = await FakeWechat.start();
    onCleanup(() => fake.close());
    fake.apps.set(APP_ID, 'phone-secret');
    const s = await startServer({ wechat: { apps: [{ appId: APP_ID, secret: 'phone-secret' }], apiBase: fake.baseUrl, timeoutMs: 1000 } });
    const wxFake = new AppFakeWx({ interruptAfterMs: 30 });
    fake.addCode('fake-code-1', { openid: 'oPAGE', session_key: Buffer.alloc(16, 1).toString('base64') });
    const session = new ImSession({ wx: wxFake.app, baseUrl: s.baseUrl, clientOptions: { persistence: false } });
    onCleanup(() => session.client?.dispose());
    await session.loginWechat();

    const view = captureView(initialLoginData());
    const logic = new LoginLogic(view, session, false);
    expect(await logic.bindPhone({ errMsg: 'getPhoneNumber:fail user deny' })).toBe(false);
    expect(wxFake.toasts.pop()).toBe('未获取到手机号');
    expect(fake.calls('get_phone_number')).toHaveLength(0);

    fake.addPhoneCode('button-code', { appid: APP_ID, purePhoneNumber: '13800138000' });
    expect(await logic.bindPhone(phoneButtonDetail('button-code'))).toBe(true);
    expect(view.data.phone).toBe('138****8000');
    expect(wxFake.toasts.pop()).toBe('手机号已绑定');
    // The code works once: a second tap with it is refused with a message, the shown number stays.
    expect(await logic.bindPhone(phoneButtonDetail('button-code'))).toBe(false);
    expect(wxFake.toasts.pop()).toMatch(/code|绑定手机号失败/);
    expect(view.data.phone).toBe('138****8000');
  });
});
