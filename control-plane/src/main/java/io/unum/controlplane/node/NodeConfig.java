package io.unum.controlplane.node;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "unum.node")
public interface NodeConfig {
    /** How often agents are told to heartbeat. */
    @WithDefault("2s")
    Duration heartbeatInterval();

    /** A node without a heartbeat for this long is declared DOWN and its processes LOST. */
    @WithDefault("10s")
    Duration downGrace();

    /** Deadline of one control-plane → agent call. */
    @WithDefault("10s")
    Duration agentCallTimeout();
}
