/**
 * The microphone scope, asked up front (when the chat switches to voice input, not in the middle
 * of a press): `wx.getSetting` tells whether it was asked before; `wx.authorize` asks once; after a
 * refusal WeChat never asks again, so the app explains and offers `wx.openSetting`.
 */
import { type AppWx, confirmModal } from './app-wx.js';

export type MicState = 'granted' | 'denied';

function authSetting(wx: AppWx): Promise<Record<string, boolean | undefined>> {
  return new Promise((resolve) => {
    wx.getSetting({
      success: (res) => resolve(res.authSetting as Record<string, boolean | undefined>),
      fail: () => resolve({}),
    });
  });
}

function authorizeRecord(wx: AppWx): Promise<boolean> {
  return new Promise((resolve) => {
    wx.authorize({ scope: 'scope.record', success: () => resolve(true), fail: () => resolve(false) });
  });
}

/**
 * Makes sure the app may record: granted → at once; never asked → `wx.authorize`; refused before
 * → a modal "去设置" that opens the settings page, then checks again.
 */
export async function ensureMicrophone(wx: AppWx): Promise<MicState> {
  const setting = await authSetting(wx);
  if (setting['scope.record'] === true) return 'granted';
  if (setting['scope.record'] === undefined && (await authorizeRecord(wx))) return 'granted';
  const go = await confirmModal(wx, '发送语音需要使用麦克风，请在设置中开启“麦克风”权限', '去设置', '需要麦克风权限');
  if (!go) return 'denied';
  const after = await new Promise<Record<string, boolean>>((resolve) => {
    wx.openSetting({ success: (r) => resolve(r.authSetting as Record<string, boolean>), fail: () => resolve({}) });
  });
  return after['scope.record'] === true ? 'granted' : 'denied';
}
