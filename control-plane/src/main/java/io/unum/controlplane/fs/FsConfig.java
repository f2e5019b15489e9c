package io.unum.controlplane.fs;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The cluster file system's redundancy and collection settings. */
@ConfigMapping(prefix = "unum.fs")
public interface FsConfig {
    /** The replica goal of the root directory, which what is created below it inherits. */
    @WithDefault("2")
    int defaultReplicas();

    /** The highest goal a file or directory may have. */
    @WithDefault("9")
    int maxReplicas();

    /** How often the leader looks for chunks below their goal and for garbage to delete. */
    @WithDefault("10s")
    Duration repairInterval();

    /** How many block copies the repair has in flight at once. */
    @WithDefault("4")
    int repairParallelism();

    /**
     * How long a replaced or removed block is kept before its nodes are told to delete it: a reader
     * that opened the file before the change may still be reading it (close-to-open).
     */
    @WithDefault("10m")
    Duration garbageGrace();
}
