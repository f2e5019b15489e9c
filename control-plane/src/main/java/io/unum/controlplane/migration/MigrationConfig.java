package io.unum.controlplane.migration;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "unum.migration")
public interface MigrationConfig {
    /**
     * A migration whose record has not changed for this long, and that no replica drives, is
     * finished or rolled back by the leader. Longer than any single step may take.
     */
    @WithDefault("60s")
    Duration abandonedAfter();

    /**
     * A migration that does not name its mode goes post-copy when the process's resident memory
     * is at least this much (stop-and-copy below): measured here, the two freezes cross between
     * 10 and 100 MiB (docs/benchmarks.md).
     */
    @WithDefault("32M")
    MemorySize postCopyAbove();

    /** Ended migration records are kept this long. */
    @WithDefault("1h")
    Duration retention();
}
