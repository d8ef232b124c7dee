// Worker entry when the lab runs from TypeScript sources (tsx, vitest): worker
// threads do not inherit the parent's TS loader, so register tsx's ESM hooks in
// this thread, then load the real worker (parallel-worker.ts). The compiled
// dist/ build starts parallel-worker.js directly and never uses this file.
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
