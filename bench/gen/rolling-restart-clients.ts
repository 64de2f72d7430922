/**
 * Generator process of the rolling-restart bench (bench/rolling-restart.ts): one SdkLoad block of
 * SDK clients, driven over IPC. Requests `{id, cmd, ...}`, answers `{id, ok, result | error}`.
 *   start {load: LoadOptions}   log in, connect, open every conversation → {logins}
 *   send                        start the steady load
 *   stop                        stop sending, wait for every send to settle → the time that happened
 *   waitInSync {timeoutMs}      → the time (ms since epoch) every client was back in sync, or null
 *   connectedAt                 → the time waitInSync first saw every client connected, or null
 *   verify                      → LoadReport against the server's history
 *   counts                      → {sends, acked} so far
 *   profStart / profStop {file} a CPU profile of this process in between, written to `file`
 *   timeline {since, ref}       → ReconnectTimeline of each client's last reconnect after `since`
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { type LoadOptions, reconnectTimeline, SdkLoad } from '../../deploy/test/support/sdk-load.js';

/** A CPU profile of this process between `profStart` and `profStop` (bench option RR_PROF_DIR). */
let profiler: Session | undefined;

let load: SdkLoad | undefined;
/** When waitInSync first saw every client connected (ms since epoch). */
let connectedAt: number | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function handle(m: { cmd: string; load?: LoadOptions; timeoutMs?: number; since?: number; ref?: number; file?: string }): Promise<unknown> {
  switch (m.cmd) {
    case 'start':
      load = await SdkLoad.start(m.load!);
      return { logins: load.logins };
    case 'send':
      load!.startSending();
      return null;
    case 'stop':
      await load!.stopSending();
      return Date.now();
    case 'waitInSync': {
      const end = Date.now() + (m.timeoutMs ?? 60_000);
      while (Date.now() < end) {
        if (load!.allConnected()) connectedAt ??= Date.now();
        if (load!.inSync()) return Date.now();
        await sleep(100);
      }
      return null;
    }
    case 'connectedAt':
      return connectedAt ?? null;
    case 'profStart':
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return null;
    case 'profStop': {
      const { profile } = await profiler!.post('Profiler.stop');
      writeFileSync(m.file!, JSON.stringify(profile));
      profiler!.disconnect();
      return null;
    }
    case 'counts':
      return load!.counts();
    case 'timeline':
      return reconnectTimeline(load!.members, m.since!, m.ref!);
    case 'verify':
      return load!.verify({ storeWaitMs: 1000 });
    default:
      throw new Error(`unknown command ${m.cmd}`);
  }
}

process.on('message', (m: { id: number; cmd: string }) => {
  handle(m).then(
    (result) => process.send!({ id: m.id, ok: true, result }),
    (e: Error) => process.send!({ id: m.id, ok: false, error: e.stack ?? String(e) }),
  );
});
process.on('disconnect', () => {
  load?.dispose();
  process.exit(0);
});
