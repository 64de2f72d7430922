/**
 * The fake `wx` fails where WeChat fails (issue 19 item 2), and every route the mini-program calls
 * works with the methods `wx.request` has (item 1): profile save, group rename and mute go through
 * the strict runtime (which refuses PATCH) against a real server.
 */
import { wxHttp, wxMethod } from '@miniim/sdk/wx';
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { GroupLogic, initialGroupData } from '../pages/group/group-logic.js';
import { AppFakeWx } from './support/app-fake-wx.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';
import { PNG_1X1, tempFile } from './support/samples.js';
import type { ProgressEvent } from './support/strict-wx.js';

const wsOf = (baseUrl: string) => `${baseUrl.replace(/^http/, 'ws')}/ws`;

const errOf = (fn: (cb: { success: () => void; fail: (e: { errMsg: string }) => void }) => void) =>
  new Promise<string>((resolve) => fn({ success: () => resolve('ok'), fail: (e) => resolve(e.errMsg) }));

describe('the strict fake wx', () => {
  it('has only real wx methods: a made-up API is missing, as on a phone', () => {
    const fake = new AppFakeWx();
    const wx = fake.app as unknown as Record<string, unknown>;
    expect(typeof wx.request).toBe('function');
    expect(typeof wx.uploadFile).toBe('function');
    // Test controls and invented APIs are not part of wx.
    expect(wx.hide).toBeUndefined();
    expect(wx.setNetwork).toBeUndefined();
    expect(wx.requestPatch).toBeUndefined();
    expect('navigations' in wx).toBe(false);
  });

  it('wx.request refuses PATCH (and the SDK types cannot produce it)', async () => {
    const s = await startServer();
    const fake = new AppFakeWx();
    const patch = await errOf((cb) => fake.app.request({ url: `${s.baseUrl}/healthz`, method: 'PATCH' as 'PUT', ...cb }));
    expect(patch).toMatch(/^request:fail .*PATCH/);
    expect(await errOf((cb) => fake.app.request({ url: `${s.baseUrl}/healthz`, method: 'PUT', ...cb }))).toBe('ok');
    // The adapter's method is typed by wx.request's own union: PATCH does not compile.
    // @ts-expect-error PATCH is not a wx.request method
    expect(wxMethod('PATCH')).toBe('PATCH');
  });

  it('network calls fail with "interrupted" once the app is hidden past the grace period; calls in flight too', async () => {
    const s = await startServer();
    const fake = new AppFakeWx({ interruptAfterMs: 400 });
    const http = wxHttp(fake.app);
    fake.hide();
    // Within the grace period a call still works.
    expect((await http.request({ method: 'GET', url: `${s.baseUrl}/healthz`, headers: {} })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 450));
    await expect(http.request({ method: 'GET', url: `${s.baseUrl}/healthz`, headers: {} })).rejects.toThrow('request:fail interrupted');
    expect(await errOf((cb) => fake.app.connectSocket({ url: wsOf(s.baseUrl), ...cb }))).toBe('connectSocket:fail interrupted');
    fake.show();
    expect((await http.request({ method: 'GET', url: `${s.baseUrl}/healthz`, headers: {} })).status).toBe(200);

    // An upload in flight when the grace period ends fails the same way.
    const file = await tempFile('a.png', PNG_1X1);
    const slow = new AppFakeWx({ interruptAfterMs: 20, uploadStepMs: 30 });
    const failed = errOf((cb) => slow.app.uploadFile({ url: `${s.baseUrl}/api/media`, filePath: file, name: 'file', ...cb }));
    slow.hide();
    expect(await failed).toBe('uploadFile:fail interrupted');
  });

  it('uploadFile returns an UploadTask: progress events, and abort() fails it with "abort"', async () => {
    const s = await startServer();
    const token = await s.login('alice');
    const file = await tempFile('a.png', PNG_1X1);
    const fake = new AppFakeWx({ uploadStepMs: 2 });
    const seen: number[] = [];
    const done = await new Promise<number>((resolve, reject) => {
      const task = fake.app.uploadFile({
        url: `${s.baseUrl}/api/media`,
        filePath: file,
        name: 'file',
        header: { Authorization: `Bearer ${token}` },
        formData: { kind: 'image' },
        success: (r) => resolve(r.statusCode),
        fail: (e) => reject(new Error(e.errMsg)),
      });
      task.onProgressUpdate((p: ProgressEvent) => seen.push(p.progress));
    });
    expect(done).toBe(200);
    expect(seen).toEqual([20, 40, 60, 80, 100]);

    const slow = new AppFakeWx({ uploadStepMs: 20 });
    const aborted = await new Promise<string>((resolve) => {
      const task = slow.app.uploadFile({
        url: `${s.baseUrl}/api/media`,
        filePath: file,
        name: 'file',
        success: () => resolve('ok'),
        fail: (e) => resolve(e.errMsg),
      });
      task.onProgressUpdate(() => task.abort());
    });
    expect(aborted).toBe('uploadFile:fail abort');
  });

  it('setStorage refuses over 1 MB per key and 10 MB in all; the sync form throws', async () => {
    const fake = new AppFakeWx();
    const mb = 'x'.repeat(1024 * 1024);
    expect(await errOf((cb) => fake.app.setStorage({ key: 'big', data: mb, ...cb }))).toBe('setStorage:fail exceed storage item max length');
    expect(() => fake.app.setStorageSync('big', mb)).toThrow(/setStorageSync:fail exceed storage item max length/);
    const almost = 'y'.repeat(1000 * 1024);
    for (let i = 0; i < 10; i++) expect(await errOf((cb) => fake.app.setStorage({ key: `k${i}`, data: almost, ...cb }))).toBe('ok');
    expect(await errOf((cb) => fake.app.setStorage({ key: 'k10', data: almost, ...cb }))).toBe('setStorage:fail exceed storage max size 10Mb');
    // Replacing a key counts its new size only.
    expect(await errOf((cb) => fake.app.setStorage({ key: 'k0', data: 'small', ...cb }))).toBe('ok');
    expect(fake.app.getStorageInfoSync().limitSize).toBe(10240);
  });

  it('connectSocket fails with WeChat errMsg shapes; onError always gets {errMsg}; onNetworkStatusChange is driven by setNetwork', async () => {
    const s = await startServer();
    const fake = new AppFakeWx();
    expect(await errOf((cb) => fake.app.connectSocket({ url: 'http://nope', ...cb }))).toBe('connectSocket:fail invalid url "http://nope"');
    const errors: unknown[] = [];
    const task = fake.app.connectSocket({ url: `${wsOf(s.baseUrl)}?token=bad` });
    task.onError((e) => errors.push(e));
    await until(() => errors.length > 0, 'socket error');
    expect(errors[0]).toEqual({ errMsg: expect.any(String) });

    const changes: boolean[] = [];
    fake.app.onNetworkStatusChange((r) => changes.push(r.isConnected));
    fake.setNetwork(false);
    expect(await errOf((cb) => fake.app.connectSocket({ url: wsOf(s.baseUrl), ...cb }))).toMatch(/^connectSocket:fail/);
    expect(await errOf((cb) => fake.app.request({ url: `${s.baseUrl}/healthz`, ...cb }))).toMatch(/^request:fail/);
    fake.setNetwork(true);
    expect(changes).toEqual([false, true]);
    const type = await new Promise<string>((resolve) => fake.app.getNetworkType({ success: (r) => resolve(r.networkType) }));
    expect(type).toBe('wifi');
  });
});

describe('every route the mini-program calls works with wx.request methods', () => {
  it('profile save, group rename, mute and member changes go through the strict wx without a refusal', async () => {
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    await s.login('bob', '鲍勃');
    await s.login('carol', '卡罗尔');
    const user = await alice.session.updateProfile({ nickname: '小爱' });
    expect(user.nickname).toBe('小爱');
    const group = await alice.session.need().createGroup('周末', ['bob']);
    const view = captureView(initialGroupData());
    const logic = new GroupLogic(view, alice.session);
    await logic.load({ id: group.id });
    expect(await logic.rename('周日')).toBe(true);
    expect(await logic.setMuted(true)).toBe(true);
    expect(await logic.addMembers('carol')).toBe(true);
    expect(await logic.removeMember('carol')).toBe(true);
    expect(view.data).toMatchObject({ name: '周日', muted: true });
    expect(alice.fake.refused.filter((e) => e.startsWith('request:'))).toEqual([]);
    const fresh = await s.http('GET', `/api/groups/${group.id}`, { token: await s.login('alice') });
    expect(fresh.body).toMatchObject({ name: '周日' });
  });
});
