package io.unum.agent;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything the agent needs to run. advertise may be null (then the listen address, with the
 * actual port, is advertised).
 */
public record AgentConfig(String name, HostPort listen, HostPort advertise, List<HostPort> controlPlanes,
        Path stateDir, String joinToken, int cores, long memoryBytes, long outputLimit) {

    public AgentConfig {
        controlPlanes = List.copyOf(controlPlanes);
    }
}
