import type { PersistenceAdapter } from '../persistence.js';
import type { WxApi } from './wx-api.js';

/** Keeps the store's cache with `wx.setStorage` (async; errors are ignored, it is only a cache). */
export function wxStoragePersistence(wxApi: WxApi): PersistenceAdapter {
  return {
    load: (key) =>
      new Promise((resolve) => {
        wxApi.getStorage({
          key,
          success: (res) => resolve(typeof res.data === 'string' ? res.data : null),
          fail: () => resolve(null),
        });
      }),
    save: (key, value) =>
      new Promise((resolve) => {
        wxApi.setStorage({ key, data: value, success: () => resolve(), fail: () => resolve() });
      }),
    remove: (key) =>
      new Promise((resolve) => {
        wxApi.removeStorage({ key, success: () => resolve(), fail: () => resolve() });
      }),
  };
}
