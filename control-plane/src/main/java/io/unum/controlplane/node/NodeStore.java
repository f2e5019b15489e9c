package io.unum.controlplane.node;

import io.quarkus.runtime.Startup;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.etcd.EtcdTable.Alongside;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Node records ({@code /unum/nodes/<name>}) and their per-process usage
 * ({@code /unum/usage/<name>}), read from watched in-memory copies.
 */
@Startup
@ApplicationScoped
public class NodeStore implements NodeRecords {
    private final EtcdTable<NodeInfo> nodes;
    private final EtcdTable<NodeUsage> usage;

    public NodeStore(EtcdTables tables) {
        this.nodes = tables.json("nodes/", NodeInfo.class);
        this.usage = tables.json("usage/", NodeUsage.class);
    }

    public List<NodeInfo> list() {
        return nodes.values().stream().sorted(Comparator.comparing(NodeInfo::name)).toList();
    }

    public Optional<NodeInfo> find(String name) {
        return nodes.get(name).map(Versioned::value);
    }

    public NodeInfo get(String name) {
        return find(name).orElseThrow(() -> UnumException.nodeNotFound("node '" + name + "' does not exist; known nodes: "
                + list().stream().map(NodeInfo::name).toList()));
    }

    /** Writes the node as READY, whatever it was. */
    public void register(NodeInfo node) {
        nodes.put(node.name(), node);
    }

    /**
     * Records a heartbeat in one transaction (node load and per-process usage).
     *
     * @return false when the node is unknown or DOWN: it must register again
     */
    public boolean heartbeat(String name, NodeLoad load, NodeUsage processUsage, Instant at) {
        Optional<NodeInfo> written = nodes.update(name,
                n -> n.state() == NodeState.READY ? n.withLoad(load, at) : n,
                n -> new Alongside(List.of(usage.putOp(name, processUsage)),
                        revision -> usage.applied(name, processUsage, revision)));
        return written.isPresent() && written.get().state() == NodeState.READY;
    }

    @Override
    public boolean markDown(String name, long seenRevision, Alongside alongside) {
        return nodes.get(name)
                .map(n -> nodes.replace(name, seenRevision, n.value().withState(NodeState.DOWN), alongside))
                .orElse(false);
    }

    @Override
    public Map<String, Versioned<NodeInfo>> versionedNodes() {
        return nodes.snapshot();
    }

    /** Usage of every process the nodes last reported, by gpid. */
    public Map<Integer, NodeUsage.Usage> processUsage() {
        Map<Integer, NodeUsage.Usage> all = new HashMap<>();
        usage.values().forEach(v -> all.putAll(v.processes()));
        return all;
    }

    /** Forgets a node (an admin removed it); true when it is gone. */
    public boolean delete(String name) {
        usage.delete(name, u -> true);
        return nodes.delete(name, n -> true);
    }

    public void addListener(EtcdTable.Listener<NodeInfo> listener) {
        nodes.addListener(listener);
    }
}
