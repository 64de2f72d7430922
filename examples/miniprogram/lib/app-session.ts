/// <reference types="miniprogram-api-typings" />
/** The app-wide session, created on first use from config.ts and the real `wx`. */
import { config } from '../config.js';
import type { AppWx } from './app-wx.js';
import { ImSession } from './session.js';

let session: ImSession | undefined;

/** The server for this build: develop / trial / release from `wx.getAccountInfoSync()`. */
export function serverUrl(): string {
  let env: 'develop' | 'trial' | 'release' = 'develop';
  try {
    env = wx.getAccountInfoSync().miniProgram.envVersion;
  } catch {
    // older base libraries: use the develop server
  }
  return config.servers[env] ?? config.servers.develop;
}

/** The session (restores a saved login the first time). */
export function getSession(): ImSession {
  if (!session) {
    session = new ImSession({ wx: wx as unknown as AppWx, baseUrl: serverUrl(), appId: config.appId });
    session.restore();
  }
  return session;
}
