package io.unum.agent;

import io.unum.agent.profile.NodeProfileSettings;
import io.unum.pki.CaCertHash;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything the agent needs to run. advertise may be null (then the listen address, with the
 * actual port, is advertised); criu may be null (then criu on PATH, if any, dumps and restores).
 * profile holds the node's labels and the capacity it enforces on its processes. criuGhostLimit
 * and criuRestoreTimeout bound what CRIU carries and how long a restore may take. joinToken is
 * null when none was given (enough for an agent that already holds its certificate); caFile (the
 * cluster CA's certificate) or caCertHash (its hash) checks the control plane's certificate when
 * joining: at most one is set, and joining refuses to start without either. fsMount is where the
 * cluster file system is mounted (null: nowhere); fsStorage holds this node's blocks of it.
 */
public record AgentConfig(String name, HostPort listen, HostPort advertise, List<HostPort> controlPlanes,
        Path stateDir, String joinToken, int cores, long memoryBytes, long outputLimit, Path criu,
        long criuGhostLimit, Duration criuRestoreTimeout, NodeProfileSettings profile, Path caFile,
        CaCertHash caCertHash, Path fsMount, Path fsStorage) {

    public AgentConfig {
        controlPlanes = List.copyOf(controlPlanes);
    }
}
