package io.unum.controlplane.node;

import io.unum.api.grpc.HeartbeatRequest;
import io.unum.api.grpc.LocalProcess;
import io.unum.api.grpc.ProcessUsage;
import io.unum.api.grpc.RegisterAgentRequest;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.controlplane.error.UnumException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Nodes join by registering and stay by heartbeating. A node marked DOWN (by
 * {@link NodeFailureDetector}) is told at its next heartbeat that it is unknown, registers
 * again and its processes are reconciled.
 */
@ApplicationScoped
public class NodeMembership {
    private static final Logger LOG = Logger.getLogger(NodeMembership.class);
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");

    private final NodeStore nodes;
    private final NodeProcesses lifecycle;
    private final HeldCopies held;
    private final InstantSource clock;

    public NodeMembership(NodeStore nodes, NodeProcesses lifecycle, HeldCopies held, InstantSource clock) {
        this.held = held;
        this.clock = clock;
        this.nodes = nodes;
        this.lifecycle = lifecycle;
    }

    /** Registers (or re-registers) a node and returns the gpids it must forget. */
    public List<Integer> register(RegisterAgentRequest request) {
        if (!NAME.matcher(request.getNode()).matches()) {
            throw UnumException.invalidRequest("node name '" + request.getNode()
                    + "' must be lower-case letters, digits, '-' and '.' (like a DNS label)");
        }
        if (request.getAddress().isBlank()) {
            throw UnumException.invalidRequest("the agent must register the host:port of its gRPC server");
        }
        Instant now = clock.instant();
        NodeInfo previous = nodes.find(request.getNode()).orElse(null);
        NodeInfo node = new NodeInfo(request.getNode(), request.getAddress(), NodeState.READY, request.getCores(),
                request.getMemoryBytes(), previous == null ? NodeLoad.UNKNOWN : previous.load(),
                previous == null ? now : previous.registeredAt(), now);
        nodes.register(node);
        List<Integer> unknown = lifecycle.reconcile(node.name(), request.getProcessesList());
        List<LocalProcess> stopped = request.getProcessesList().stream()
                .filter(p -> p.getHeld() && !unknown.contains(p.getGpid())).toList();
        if (!stopped.isEmpty()) {
            held.settle(node, stopped);
        }
        LOG.infof("node %s registered at %s (%d cores, %d processes supervised)", node.name(), node.address(),
                node.cores(), request.getProcessesCount());
        return unknown;
    }

    /** Records a heartbeat; false means the node must register again. */
    public boolean heartbeat(HeartbeatRequest request) {
        io.unum.api.grpc.NodeLoad l = request.getLoad();
        NodeLoad load = new NodeLoad(l.getLoad1(), l.getCpuPercent(), l.getMemoryFreeBytes(), l.getProcessCount());
        Map<Integer, NodeUsage.Usage> usage = new HashMap<>();
        for (ProcessUsage u : request.getProcessesList()) {
            usage.put(u.getGpid(), new NodeUsage.Usage(u.getCpuPercent(), u.getRssBytes()));
        }
        boolean known = nodes.heartbeat(request.getNode(), load, new NodeUsage(usage), clock.instant());
        if (known && request.getHeldCount() > 0) {
            // Settled only when no operation holds the process's lock (HeldCopies checks).
            nodes.find(request.getNode()).ifPresent(node -> held.settle(node, request.getHeldList()));
        }
        return known;
    }
}
