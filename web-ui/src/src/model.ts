// The REST representations the UI reads (io.unum.api.model on the server).

export type ProcessState = 'PENDING' | 'RUNNING' | 'EXITED' | 'FAILED' | 'LOST';
export const PROCESS_STATES: ProcessState[] = ['PENDING', 'RUNNING', 'EXITED', 'FAILED', 'LOST'];

export type Capability = 'CAN_MIGRATE' | 'DISTANT_FORK' | 'CHECKPOINTABLE' | 'USE_REMOTE_MEMORY' | 'CHANGE_CAPS';
export const CAPABILITIES: Capability[] = ['CAN_MIGRATE', 'DISTANT_FORK', 'CHECKPOINTABLE', 'USE_REMOTE_MEMORY', 'CHANGE_CAPS'];

export interface Capabilities {
  effective: Capability[];
  permitted: Capability[];
  inheritableEffective: Capability[];
  inheritablePermitted: Capability[];
}
export type CapabilitySetName = keyof Capabilities;

export interface ProcessInfo {
  gpid: number;
  parentGpid?: number;
  node?: string;
  localPid: number;
  argv: string[];
  cwd?: string;
  user?: string;
  envNames?: string[];
  state: ProcessState;
  exitCode?: number;
  exitSignal?: number;
  reason?: string;
  capabilities: Capabilities;
  createdAt?: string;
  startedAt?: string;
  endedAt?: string;
  cpuPercent?: number;
  rssBytes?: number;
}

export interface NodeLoad {
  load1: number;
  cpuPercent: number;
  memoryFreeBytes: number;
  processCount: number;
}

export interface NodeInfo {
  name: string;
  address: string;
  state: 'READY' | 'DOWN';
  cores: number;
  memoryBytes: number;
  load?: NodeLoad;
  registeredAt?: string;
  lastHeartbeatAt?: string;
}

export interface ProcessEvent {
  type: 'SNAPSHOT' | 'UPSERT' | 'REMOVE' | 'TICK';
  at: string;
  processes?: ProcessInfo[];
  gpids?: number[];
  usage?: Record<string, { cpuPercent: number; rssBytes: number }>;
}

export interface NodeEvent {
  type: 'SNAPSHOT' | 'UPSERT' | 'REMOVE';
  at: string;
  nodes?: NodeInfo[];
  names?: string[];
}

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  offset: number;
  data: string;
}

export type MigrationState = 'PREPARING' | 'DUMPING' | 'TRANSFERRING' | 'RESTORING' | 'DONE' | 'ROLLED_BACK' | 'FAILED';
export const TERMINAL_MIGRATION_STATES: MigrationState[] = ['DONE', 'ROLLED_BACK', 'FAILED'];

export interface MigrationInfo {
  id: string;
  gpid: number;
  source: string;
  target: string;
  state: MigrationState;
  reason?: string;
  imageBytes?: number;
  bytesTransferred?: number;
  /** How long the process ran nowhere: from the start of the dump to the end of the restore. */
  freezeMillis?: number;
  dumpMillis?: number;
  restoreMillis?: number;
  totalMillis?: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface CheckpointInfo {
  id: string;
  gpid: number;
  node: string;
  imageBytes: number;
  dumpMillis: number;
  killed: boolean;
  createdAt?: string;
  process?: ProcessInfo;
}

export const PLACEMENTS = ['round-robin', 'least-loaded', 'memory-aware', 'spread', 'binpack'] as const;
export const BALANCINGS = ['none', 'mosix', 'memory-ushering'] as const;

export interface SchedulerPolicy {
  placement: string;
  balancing: string;
  loadThreshold?: number;
  minFreeMemoryBytes?: number;
  minIntervalSeconds?: number;
  probePeriodSeconds?: number;
  updatedAt?: string;
  updatedBy?: string;
}

export type SchedulerEventType = 'PLACED' | 'PLACEMENT_REFUSED' | 'MIGRATION_STARTED' | 'MIGRATED' | 'MIGRATION_FAILED'
  | 'POLICY_CHANGED';

export interface SchedulerEvent {
  id: string;
  at: string;
  type: SchedulerEventType;
  replica?: string;
  gpid?: number;
  fromNode?: string;
  toNode?: string;
  policy?: string;
  reason?: string;
}

export interface SchedulerNode {
  name: string;
  state: 'READY' | 'DOWN';
  labels?: Record<string, string>;
  cpuCapacity: number;
  memoryBytes: number;
  enforcement?: string;
  load: number;
  loadPerCore: number;
  memoryFreeBytes: number;
  processCount: number;
}

export interface SchedulerStatus {
  replica: string;
  leader: boolean;
}
