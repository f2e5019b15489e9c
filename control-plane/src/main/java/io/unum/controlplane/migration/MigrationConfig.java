package io.unum.controlplane.migration;

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

    /** Ended migration records are kept this long. */
    @WithDefault("1h")
    Duration retention();
}
