package io.unum.api.model;

import java.util.Locale;
import java.util.Optional;

/** Kerrighed's per-process SSI capabilities. Every feature checks its flag in the effective set. */
public enum Capability {
    /** The process may be migrated to another node. */
    CAN_MIGRATE,
    /** Children of the process may be placed on another node than their parent. */
    DISTANT_FORK,
    /** The process may be checkpointed. */
    CHECKPOINTABLE,
    /** The process may use cluster-wide shared memory. */
    USE_REMOTE_MEMORY,
    /** The process's capabilities may be raised (within its permitted set). */
    CHANGE_CAPS;

    /** Parses a capability name, case-insensitively. */
    public static Optional<Capability> parse(String name) {
        String normalized = name.trim().toUpperCase(Locale.ROOT);
        for (Capability c : values()) {
            if (c.name().equals(normalized)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
