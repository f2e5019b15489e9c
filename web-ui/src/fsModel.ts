// The cluster file system's usage, as GET /api/v1/fs/usage answers it (io.unum.api.model.FsUsage,
// FsNodeUsageInfo, FsRepairInfo). Written by hand, unlike model.ts: the committed OpenAPI document
// does not describe /api/v1/fs yet, because it is checked against the server, which does not serve
// it yet. Once it does, refresh the document and replace these with Schemas['FsUsage'] etc. in model.ts.
import type { NodeInfo } from './model';

export type FsNodeUsageInfo = {
  node: string;
  nodeState: NodeInfo['state'];
  capacityBytes: number;
  freeBytes: number;
  usedBytes: number;
  blocks: number;
  /** Absent for a node whose agent never reported. */
  reportedAt?: string;
};

export type FsRepairInfo = {
  chunks: number;
  underReplicatedChunks: number;
  unavailableChunks: number;
  replicasRepaired: number;
  repairsInFlight: number;
  lastScanAt?: string;
  defaultReplicas: number;
  chunkSizeBytes: number;
};

export type FsUsage = {
  nodes: FsNodeUsageInfo[];
  repair: FsRepairInfo;
};
