/**
 * Bench target `miniim-memory`, a control: the MiniIM server of packages/server/src/main.ts, but on the
 * in-memory Storage of the unit tests (no disk, nothing durable). Config (PORT, HOST, …) comes from the
 * environment as for the normal entry; the group committer's rules still run. Its CPU per message is
 * MiniIM's work besides the storage (docs/benchmarks.md, "MiniIM without the disk (control)").
 */
import { createServer } from '../../packages/server/src/app.js';
import { releaseStartupHeap } from '../../packages/server/src/startup-heap.js';
import { MemoryStorage } from '../../packages/server/test/support/memory-storage.js';

const server = await createServer({ storage: new MemoryStorage() });
const stop = () => {
  server
    .close()
    .then(() => process.exit(0))
    .catch(() => process.exit(1));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await server.listen();
setImmediate(releaseStartupHeap);
