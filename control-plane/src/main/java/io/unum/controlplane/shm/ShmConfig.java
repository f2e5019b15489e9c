package io.unum.controlplane.shm;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Limits on cluster-wide shared memory. */
@ConfigMapping(prefix = "unum.shm")
public interface ShmConfig {
    /** The largest segment a process may create (shmget answers EINVAL beyond it, like SHMMAX). */
    @WithDefault("1073741824")
    long maxSegmentBytes();

    /** How many segments the cluster keeps at most (shmget answers ENOSPC beyond it, like SHMMNI). */
    @WithDefault("4096")
    int maxSegments();
}
