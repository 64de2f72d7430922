import type { HttpAdapter, HttpRequest, HttpResponse } from '../http.js';
import type { WxApi } from './wx-api.js';

/** The methods `wx.request` accepts: OPTIONS, GET, HEAD, POST, PUT, DELETE, TRACE, CONNECT (no PATCH). */
export type WxRequestMethod = NonNullable<WechatMiniprogram.RequestOption['method']>;

/**
 * The method of an SDK request as `wx.request` takes it. Typed, not cast: should `HttpRequest`
 * ever allow a method WeChat lacks (PATCH), this stops compiling.
 */
export function wxMethod(method: HttpRequest['method']): WxRequestMethod {
  return method;
}

function parse(data: unknown, status: number): HttpResponse {
  if (typeof data !== 'string') return { status, data: data ?? null };
  try {
    return { status, data: data ? JSON.parse(data) : null };
  } catch {
    return {
      status,
      data: { error: { code: status >= 500 ? 'unavailable' : 'bad_request', message: data.slice(0, 200) } },
    };
  }
}

/** HTTP over `wx.request` and `wx.uploadFile` (uploads take a temp file path). */
export function wxHttp(wxApi: WxApi): HttpAdapter {
  return {
    request(req) {
      return new Promise((resolve, reject) => {
        const header: Record<string, string> = { ...req.headers };
        if (req.body !== undefined) header['content-type'] = 'application/json';
        wxApi.request({
          url: req.url,
          method: wxMethod(req.method),
          header,
          data: req.body === undefined ? undefined : (req.body as WechatMiniprogram.IAnyObject),
          dataType: '其他', // get the raw text; parsed below with error handling
          responseType: 'text',
          success: (res) => resolve(parse(res.data, res.statusCode)),
          fail: (err) => reject(new Error(err.errMsg)),
        });
      });
    },
    upload(req) {
      return new Promise((resolve, reject) => {
        if (typeof req.file !== 'string') {
          reject(new TypeError('wxHttp.upload: pass a temp file path'));
          return;
        }
        wxApi.uploadFile({
          url: req.url,
          filePath: req.file,
          name: 'file',
          header: req.headers,
          formData: req.fields ?? {},
          success: (res) => resolve(parse(res.data, res.statusCode)),
          fail: (err) => reject(new Error(err.errMsg)),
        });
      });
    },
  };
}
