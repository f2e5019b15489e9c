package io.unum.controlplane.fs;

/**
 * {@code /unum/fs/repair-status}: the leader's figures at its last scan, so that every replica
 * answers GetUsage with them, not only the leader.
 */
record StoredRepairStatus(long chunks, long underReplicatedChunks, long unavailableChunks, long replicasRepaired,
        long repairsInFlight, long lastScanEpochMs) {
}
