// The REST representations the UI reads, named after io.unum.api.model on the server. They come
// from the control plane's OpenAPI document (../api/openapi/unum-v1.json, kept equal to what the
// server serves by control-plane's OpenApiDocumentTest): `npm run generate` writes
// src/generated/openapi.ts from it before every build, so nothing here can drift from the server.
import {
  capabilitySetValues,
  processStateValues,
  type components,
} from './generated/openapi';

type Schemas = components['schemas'];

export type ProcessState = Schemas['ProcessState'];
export const PROCESS_STATES = processStateValues;

export type Capability = Schemas['CapabilitySet'][number];
export const CAPABILITIES = capabilitySetValues;

export type Capabilities = Schemas['Capabilities'];
export type CapabilitySetName = keyof Capabilities;

export type ProcessInfo = Schemas['ProcessInfo'];
export type ProcessEvent = Schemas['ProcessEvent'];
export type NodeInfo = Schemas['NodeInfo'];
export type NodeEvent = Schemas['NodeEvent'];
export type OutputChunk = Schemas['OutputChunk'];
export type SessionInfo = Schemas['SessionInfo'];
export type Role = SessionInfo['role'];

export type MigrationState = Schemas['MigrationState'];
export type MigrationInfo = Schemas['MigrationInfo'];
/** The states a migration never leaves. */
export const TERMINAL_MIGRATION_STATES: readonly MigrationState[] = ['DONE', 'ROLLED_BACK', 'FAILED'];

export type CheckpointInfo = Schemas['CheckpointInfo'];

export type ShmSegmentInfo = Schemas['ShmSegmentInfo'];
export type ShmAttachmentInfo = Schemas['ShmAttachmentInfo'];
export type ShmNodePagesInfo = Schemas['ShmNodePagesInfo'];
export type ShmState = Schemas['ShmState'];

export type SchedulerPolicy = Schemas['SchedulerPolicy'];
export type SchedulerEvent = Schemas['SchedulerEvent'];
export type SchedulerEventType = Schemas['SchedulerEventType'];
export type SchedulerNode = Schemas['SchedulerNode'];
export type SchedulerStatus = Schemas['SchedulerStatus'];

export type FsUsage = Schemas['FsUsage'];
export type FsNodeUsageInfo = Schemas['FsNodeUsageInfo'];
export type FsRepairInfo = Schemas['FsRepairInfo'];

// The document types placement and balancing as plain strings; these are the names the server
// accepts (SchedulerPolicy.PLACEMENTS and BALANCINGS in io.unum.api.model).
export const PLACEMENTS = ['round-robin', 'least-loaded', 'memory-aware', 'spread', 'binpack'] as const;
export const BALANCINGS = ['none', 'mosix', 'memory-ushering'] as const;
