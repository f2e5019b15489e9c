package io.unum.controlplane.audit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "unum.audit")
public interface AuditConfig {
    /** The audit log keeps this many entries; the oldest go first. */
    @WithDefault("10000")
    int maxEntries();
}
