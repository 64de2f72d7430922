/**
 * POST /api/auth/wechat/phone: the code of `<button open-type="getPhoneNumber">`
 * exchanged at /wxa/business/getuserphonenumber (fake WeChat), stored on the user.
 */
import { describe, expect, it } from 'vitest';
import { ERRORS, phoneNumberOk } from '../support/wechat-fixtures.js';
import { APP_ID, startWechatServer } from '../support/wechat-server.js';

describe('phone number through getPhoneNumber', () => {
  it('exchanges the code once, stores the number on the user and shows it only to them', async () => {
    const t = await startWechatServer();
    const a = await t.wxLogin('oPHONE');
    const token = a.body.token as string;
    t.fake.addPhoneCode('phone-code-1', { appid: APP_ID, purePhoneNumber: '13800138000' });

    expect((await t.http('GET', '/api/auth/wechat/phone', { token })).body).toEqual({ phone: null });
    const r = await t.http('POST', '/api/auth/wechat/phone', { token, body: { code: 'phone-code-1' } });
    expect(r).toMatchObject({ status: 200, body: { phone: { phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' } } });
    const call = t.fake.calls('get_phone_number')[0];
    expect(call.body).toEqual({ code: 'phone-code-1' });
    expect(call.query.access_token).toMatch(/^ACCESS_TOKEN_/);
    expect((await t.http('GET', '/api/auth/wechat/phone', { token })).body.phone).toMatchObject({ purePhoneNumber: '13800138000' });
    expect(await t.server.storage.wechat.getPhone(a.body.user.id)).toMatchObject({ appId: APP_ID, countryCode: '86' });

    // A code works once (WeChat: 40029 for a used code).
    const again = await t.http('POST', '/api/auth/wechat/phone', { token, body: { code: 'phone-code-1' } });
    expect(again).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });

    // Nobody else sees it: not on their GET, not in the public profile.
    const b = await t.wxLogin('oOTHER');
    expect((await t.http('GET', '/api/auth/wechat/phone', { token: b.body.token })).body).toEqual({ phone: null });
    const profile = await t.http('GET', `/api/users?ids=${a.body.user.id}`, { token: b.body.token });
    expect(JSON.stringify(profile.body)).not.toContain('13800138000');

    // A number outside mainland China, with countryCode as a number (the page's example).
    t.fake.enqueue('get_phone_number', { json: phoneNumberOk(APP_ID, '2025550100', 1) });
    const us = await t.http('POST', '/api/auth/wechat/phone', { token, body: { code: 'any' } });
    expect(us.body.phone).toEqual({ phoneNumber: '+12025550100', purePhoneNumber: '2025550100', countryCode: '1' });
  });

  it('maps WeChat errors and refuses what it cannot use', async () => {
    const t = await startWechatServer();
    const token = (await t.wxLogin('oPHONE2')).body.token as string;
    const post = (body: unknown) => t.http('POST', '/api/auth/wechat/phone', { token, body });

    expect((await post({})).body).toMatchObject({ error: { code: 'bad_request' } });
    expect((await post({ code: 7 })).body).toMatchObject({ error: { code: 'bad_request' } });
    // -1 system busy: retried once.
    t.fake.enqueue('get_phone_number', { json: ERRORS.systemBusy }, { json: phoneNumberOk(APP_ID) });
    expect((await post({ code: 'c1' })).status).toBe(200);
    t.fake.enqueue('get_phone_number', { json: ERRORS.systemBusy }, { json: ERRORS.systemBusy });
    expect(await post({ code: 'c2' })).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    t.fake.enqueue('get_phone_number', { json: ERRORS.freqLimit });
    expect(await post({ code: 'c3' })).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    // An answer for another mini-program is not stored.
    t.fake.enqueue('get_phone_number', { json: phoneNumberOk('wxsomeoneelse000001', '13900000000') });
    expect((await post({ code: 'c4' })).status).toBe(503);
    expect((await t.http('GET', '/api/auth/wechat/phone', { token })).body.phone.purePhoneNumber).toBe('13800138000');
    expect(t.logs.join('')).toContain('getPhoneNumber answer names another appid');

    // Accounts without a WeChat login cannot use it.
    const web = await t.devLogin('webuser');
    expect(await t.http('POST', '/api/auth/wechat/phone', { token: web, body: { code: 'x' } })).toMatchObject({ status: 403 });
    expect((await t.http('POST', '/api/auth/wechat/phone', { body: { code: 'x' } })).status).toBe(401);
  });
});
