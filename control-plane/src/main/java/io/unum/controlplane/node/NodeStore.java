package io.unum.controlplane.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.quarkus.runtime.Startup;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.JsonCodec;
import io.unum.controlplane.etcd.WatchedPrefix;
import io.unum.controlplane.etcd.WatchedPrefix.Versioned;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
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
public class NodeStore {
    private final Etcd etcd;
    private final JsonCodec<NodeInfo> nodeCodec;
    private final JsonCodec<NodeUsage> usageCodec;
    private final String nodePrefix;
    private final String usagePrefix;
    private WatchedPrefix<NodeInfo> nodes;
    private WatchedPrefix<NodeUsage> usage;

    public NodeStore(Etcd etcd, ObjectMapper mapper) {
        this.etcd = etcd;
        this.nodeCodec = new JsonCodec<>(mapper, NodeInfo.class);
        this.usageCodec = new JsonCodec<>(mapper, NodeUsage.class);
        this.nodePrefix = etcd.key("nodes/");
        this.usagePrefix = etcd.key("usage/");
    }

    @PostConstruct
    void start() {
        nodes = new WatchedPrefix<>(etcd, nodePrefix, nodeCodec::decode);
        usage = new WatchedPrefix<>(etcd, usagePrefix, usageCodec::decode);
        nodes.start();
        usage.start();
    }

    @PreDestroy
    void stop() {
        nodes.close();
        usage.close();
    }

    public List<NodeInfo> list() {
        return nodes.snapshot().values().stream().map(Versioned::value)
                .sorted(Comparator.comparing(NodeInfo::name)).toList();
    }

    public Optional<NodeInfo> find(String name) {
        return nodes.get(nodePrefix + name).map(Versioned::value);
    }

    public NodeInfo get(String name) {
        return find(name).orElseThrow(() -> UnumException.nodeNotFound("node '" + name + "' does not exist; known nodes: "
                + list().stream().map(NodeInfo::name).toList()));
    }

    Optional<Versioned<NodeInfo>> findVersioned(String name) {
        return nodes.get(nodePrefix + name);
    }

    /** Writes the node as READY, whatever it was. */
    public void register(NodeInfo node) {
        String key = nodePrefix + node.name();
        long revision = etcd.await(etcd.kv().put(Etcd.bytes(key), ByteSequence.from(nodeCodec.encode(node))))
                .getHeader().getRevision();
        nodes.applyLocal(key, node, revision);
    }

    /**
     * Records a heartbeat in one transaction (node load and per-process usage).
     *
     * @return false when the node is unknown or DOWN: it must register again
     */
    public boolean heartbeat(String name, NodeLoad load, NodeUsage processUsage, Instant at) {
        String key = nodePrefix + name;
        for (int attempt = 0; attempt < 5; attempt++) {
            Optional<Versioned<NodeInfo>> current = attempt == 0 ? nodes.get(key) : fresh(key);
            if (current.isEmpty() || current.get().value().state() != NodeState.READY) {
                return false;
            }
            NodeInfo next = current.get().value().withLoad(load, at);
            TxnResponse response = etcd.await(etcd.kv().txn()
                    .If(new Cmp(Etcd.bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(current.get().modRevision())))
                    .Then(Op.put(Etcd.bytes(key), ByteSequence.from(nodeCodec.encode(next)), PutOption.DEFAULT),
                            Op.put(Etcd.bytes(usagePrefix + name), ByteSequence.from(usageCodec.encode(processUsage)),
                                    PutOption.DEFAULT))
                    .commit());
            if (response.isSucceeded()) {
                long revision = response.getHeader().getRevision();
                nodes.applyLocal(key, next, revision);
                usage.applyLocal(usagePrefix + name, processUsage, revision);
                return true;
            }
        }
        return false;
    }

    /** Marks the node DOWN if it has not changed since {@code seenRevision}. */
    public boolean markDown(String name, long seenRevision) {
        String key = nodePrefix + name;
        Optional<Versioned<NodeInfo>> current = fresh(key);
        if (current.isEmpty() || current.get().modRevision() != seenRevision) {
            return false;
        }
        NodeInfo down = current.get().value().withState(NodeState.DOWN);
        Optional<Long> revision = etcd.compareAndPut(key, seenRevision, nodeCodec.encode(down));
        revision.ifPresent(r -> nodes.applyLocal(key, down, r));
        return revision.isPresent();
    }

    private Optional<Versioned<NodeInfo>> fresh(String key) {
        return etcd.get(key).map(kv -> new Versioned<>(nodeCodec.decode(kv.getValue().getBytes()), kv.getModRevision()));
    }

    /** Revision of every node record as this replica last saw it. */
    public Map<String, Versioned<NodeInfo>> versionedNodes() {
        Map<String, Versioned<NodeInfo>> byName = new HashMap<>();
        nodes.snapshot().forEach((k, v) -> byName.put(v.value().name(), v));
        return byName;
    }

    /** Usage of every process the nodes last reported, by gpid. */
    public Map<Integer, NodeUsage.Usage> processUsage() {
        Map<Integer, NodeUsage.Usage> all = new HashMap<>();
        usage.snapshot().values().forEach(v -> all.putAll(v.value().processes()));
        return all;
    }

    public void addListener(WatchedPrefix.Listener<NodeInfo> listener) {
        nodes.addListener(listener);
    }
}
