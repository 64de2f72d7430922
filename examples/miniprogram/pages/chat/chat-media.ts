/** Picking media and files, hold-to-talk voice recording, opening files and playing videos, for the chat page. */
import { ImError } from '@miniim/sdk/wx';
import type { AppWx } from '../../lib/app-wx.js';
import { isPrivacyRefusal } from '../../lib/privacy.js';
import type { PickedFile } from './chat-items.js';

/** A picker refused by the privacy agreement (not a cancel): the page says why. */
export class PrivacyRefused extends Error {
  constructor(readonly errMsg: string) {
    super(errMsg);
  }
}

const refusal = (resolve: (f: PickedFile[]) => void, reject: (e: Error) => void) => (err: { errMsg: string }) =>
  isPrivacyRefusal(err) ? reject(new PrivacyRefused(err.errMsg)) : resolve([]);

/** `wx.chooseMedia`: images and videos from the album or the camera (up to 9). */
export function pickMedia(wxApi: AppWx, source: 'album' | 'camera'): Promise<PickedFile[]> {
  return new Promise((resolve, reject) => {
    wxApi.chooseMedia({
      count: source === 'camera' ? 1 : 9,
      mediaType: ['image', 'video'],
      sourceType: [source],
      maxDuration: 60,
      sizeType: ['compressed'],
      success: (res) =>
        resolve(
          res.tempFiles.map((f) => {
            const video = (f.fileType ?? res.type) === 'video';
            const out: PickedFile = { kind: video ? 'video' : 'image', path: f.tempFilePath, size: f.size };
            if (f.width) out.width = f.width;
            if (f.height) out.height = f.height;
            if (video && f.duration) out.duration = Math.round(f.duration * 1000);
            if (video && f.thumbTempFilePath) out.thumb = f.thumbTempFilePath;
            return out;
          }),
        ),
      fail: refusal(resolve, reject), // cancelled, or refused by the privacy agreement
    });
  });
}

/** `wx.chooseMessageFile`: a file from a WeChat chat (the only file source a mini-program has). */
export function pickFile(wxApi: AppWx): Promise<PickedFile[]> {
  if (typeof wxApi.chooseMessageFile !== 'function') return Promise.reject(new ImError('bad_request', '当前环境不支持发送文件'));
  return new Promise((resolve, reject) => {
    wxApi.chooseMessageFile({
      count: 1,
      type: 'file',
      success: (res) => resolve(res.tempFiles.map((f) => ({ kind: 'file' as const, path: f.path, size: f.size, name: f.name }))),
      fail: refusal(resolve, reject),
    });
  });
}

/** Body shown while a picked file uploads (its temp path as the URL). */
export function localBody(f: PickedFile): Record<string, unknown> {
  const b: Record<string, unknown> = { url: f.path };
  if (f.width) b.width = f.width;
  if (f.height) b.height = f.height;
  if (f.duration) b.duration = f.duration;
  if (f.size) b.size = f.size;
  if (f.name) b.name = f.name;
  return b;
}

/** Body of the message sent once the upload answered (`cover`: the video's uploaded cover). */
export function sentBody(
  f: PickedFile,
  res: { url: string; size?: number; width?: number; height?: number; duration?: number },
  cover?: string,
): Record<string, unknown> {
  const b: Record<string, unknown> = { url: res.url };
  if (f.kind === 'video' && cover) b.cover = cover;
  const size = res.size ?? f.size;
  if (size) b.size = size;
  if (f.kind === 'image') {
    const w = res.width ?? f.width;
    const h = res.height ?? f.height;
    if (w) b.width = w;
    if (h) b.height = h;
  }
  if (f.kind === 'video' || f.kind === 'audio') {
    const d = res.duration ?? f.duration;
    if (d) b.duration = d;
  }
  if (f.kind === 'file') b.name = f.name || 'file';
  return b;
}

/** Types `wx.openDocument` can show. */
const DOC_TYPES = ['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'pdf'] as const;
type DocType = (typeof DOC_TYPES)[number];

/** The extension of a file name, lower-case ('' when none). */
export function fileExt(name: string): string {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name || '');
  return m ? m[1].toLowerCase() : '';
}

function docType(name: string): DocType | undefined {
  const ext = fileExt(name);
  return (DOC_TYPES as readonly string[]).includes(ext) ? (ext as DocType) : undefined;
}

/**
 * Opens a file message: `wx.downloadFile` then `wx.openDocument` (documents and PDFs; WeChat
 * cannot show other types). Resolves with what happened, for the page's toast.
 */
export function openFileMessage(wxApi: AppWx, url: string, name: string): Promise<'opened' | 'unsupported' | 'failed'> {
  const fileType = docType(name);
  if (!fileType) return Promise.resolve('unsupported');
  return new Promise((resolve) => {
    wxApi.downloadFile({
      url,
      success: (res) => {
        if (res.statusCode !== 200) {
          resolve('failed');
          return;
        }
        wxApi.openDocument({
          filePath: res.tempFilePath,
          fileType,
          showMenu: true,
          success: () => resolve('opened'),
          fail: () => resolve('failed'),
        });
      },
      fail: () => resolve('failed'),
    });
  });
}

/** Plays a video full-screen (`wx.previewMedia`) instead of an inline player per bubble. */
export function playVideo(wxApi: AppWx, url: string, cover: string): void {
  const source: WechatMiniprogram.MediaSource = { url, type: 'video' };
  if (cover) source.poster = cover;
  wxApi.previewMedia({ sources: [source] });
}
