package io.unum.controlplane.process;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "unum.process")
public interface ProcessConfig {
    /**
     * The range each process tree's own uid (and each named group's gid) is taken from, like
     * systemd's DynamicUser; no passwd entry is needed. Keep it clear of the nodes' real accounts.
     */
    DynamicIdRange dynamicIds();

    /** Working directory of processes that do not name one. */
    @WithDefault("/")
    String defaultCwd();

    /** Most arguments one argv may have. */
    @WithDefault("4096")
    int maxArgs();

    /** Most bytes argv may add up to. */
    @WithDefault("131072")
    int maxArgvBytes();

    /** Most environment variables one process may be given. */
    @WithDefault("1024")
    int maxEnvVars();

    /** Most bytes the environment (names and values) may add up to. */
    @WithDefault("131072")
    int maxEnvBytes();

    /** Ended (EXITED, FAILED) records are kept this long. */
    @WithDefault("1h")
    Duration retention();

    /** At most this many ended records are kept; the oldest go first. */
    @WithDefault("10000")
    int maxEnded();

    /** Capabilities of processes started without a parent. */
    Defaults defaultCapabilities();

    interface DynamicIdRange {
        @WithDefault("61184")
        int first();

        @WithDefault("65519")
        int last();
    }

    interface Defaults {
        /** krgcapset list, e.g. "CAN_MIGRATE,CHECKPOINTABLE". */
        @WithDefault("CAN_MIGRATE,DISTANT_FORK,CHECKPOINTABLE,USE_REMOTE_MEMORY,CHANGE_CAPS")
        String permitted();

        @WithDefault("DISTANT_FORK")
        String effective();

        @WithDefault("CAN_MIGRATE,DISTANT_FORK,CHECKPOINTABLE,USE_REMOTE_MEMORY,CHANGE_CAPS")
        String inheritablePermitted();

        @WithDefault("DISTANT_FORK")
        String inheritableEffective();
    }
}
