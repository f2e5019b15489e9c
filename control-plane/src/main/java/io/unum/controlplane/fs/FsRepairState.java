package io.unum.controlplane.fs;

import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicLong;

/** The repair's figures on this replica while it leads, for the metrics (etcd's repair-status has them for every replica). */
// A singleton, not a client proxy: callers read its fields.
@Singleton
public class FsRepairState {
    final AtomicLong chunks = new AtomicLong();
    final AtomicLong underReplicated = new AtomicLong();
    final AtomicLong unavailable = new AtomicLong();
    final AtomicLong repaired = new AtomicLong();
    final AtomicLong inFlight = new AtomicLong();
    final AtomicLong lastScanEpochMs = new AtomicLong();
}
