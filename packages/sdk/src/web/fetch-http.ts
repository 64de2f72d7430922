import type { HttpAdapter, HttpResponse } from '../http.js';

async function readJson(res: Response): Promise<HttpResponse> {
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = {
        error: { code: res.status >= 500 ? 'unavailable' : 'bad_request', message: text.slice(0, 200) },
      };
    }
  }
  return { status: res.status, data };
}

/** HTTP over `fetch` (browsers, Node ≥ 18); uploads use `FormData`. */
export function fetchHttp(fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)): HttpAdapter {
  return {
    async request(req) {
      const headers: Record<string, string> = { ...req.headers };
      const init: RequestInit = { method: req.method, headers };
      if (req.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(req.body);
      }
      return readJson(await fetchImpl(req.url, init));
    },
    async upload(req) {
      if (typeof req.file === 'string') throw new TypeError('fetchHttp.upload: pass a Blob or File, not a path');
      const form = new FormData();
      for (const [k, v] of Object.entries(req.fields ?? {})) form.append(k, v);
      const name = req.fileName ?? (req.file as { name?: string }).name ?? 'upload';
      form.append('file', req.file, name);
      return readJson(await fetchImpl(req.url, { method: 'POST', headers: req.headers, body: form }));
    },
  };
}
