package io.unum.agent;

import io.unum.agent.profile.NodeProfileSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything the agent needs to run. advertise may be null (then the listen address, with the
 * actual port, is advertised); criu may be null (then criu on PATH, if any, dumps and restores).
 * profile holds the node's labels and the capacity it enforces on its processes. criuGhostLimit
 * and criuRestoreTimeout bound what CRIU carries and how long a restore may take.
 */
public record AgentConfig(String name, HostPort listen, HostPort advertise, List<HostPort> controlPlanes,
        Path stateDir, String joinToken, int cores, long memoryBytes, long outputLimit, Path criu,
        long criuGhostLimit, Duration criuRestoreTimeout, NodeProfileSettings profile) {

    public AgentConfig {
        controlPlanes = List.copyOf(controlPlanes);
    }
}
