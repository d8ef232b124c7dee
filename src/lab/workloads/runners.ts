/**
 * name → run function of each workload, without the registry (so experiment
 * modules can run workloads without importing the registry that imports them).
 */
import { runBulk } from './bulk.js';
import { runChatroom } from './chatroom.js';
import { runRr } from './rr.js';
import type { WorkloadResult } from './def.js';

export const WORKLOAD_RUNNERS: Record<string, (params: Record<string, unknown>) => Promise<WorkloadResult>> = {
  chatroom: runChatroom,
  bulk: runBulk,
  rr: runRr,
};
