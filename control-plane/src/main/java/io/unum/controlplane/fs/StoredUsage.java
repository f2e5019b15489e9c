package io.unum.controlplane.fs;

/** {@code /unum/fs/usage/<node>}: the agent's last block report. */
record StoredUsage(long capacityBytes, long freeBytes, long usedBytes, long blocks, long reportedAtEpochMs) {
}
