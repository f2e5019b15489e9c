package io.unum.agent;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything the agent needs to run. advertise may be null (then the listen address, with the
 * actual port, is advertised); criu may be null (then criu on PATH, if any, dumps and restores).
 */
public record AgentConfig(String name, HostPort listen, HostPort advertise, List<HostPort> controlPlanes,
        Path stateDir, String joinToken, int cores, long memoryBytes, long outputLimit, Path criu) {

    public AgentConfig {
        controlPlanes = List.copyOf(controlPlanes);
    }
}
