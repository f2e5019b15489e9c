package io.unum.controlplane.scheduler;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.Startup;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.leader.Leadership;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The label constraints a process was started with ({@code /unum/scheduler/constraints/<gpid>}),
 * so that the balancer never moves it to a node that lacks them. Written only for processes
 * that have constraints; the leader deletes the key when the process record goes.
 */
@Startup
@ApplicationScoped
public class ProcessConstraints {
    private static final Logger LOG = Logger.getLogger(ProcessConstraints.class);
    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() { };

    private final Etcd etcd;
    private final ObjectMapper mapper;
    private final ProcessTable processes;
    private final Leadership leadership;
    private final EtcdTable<Map<String, String>> constraints;

    public ProcessConstraints(Etcd etcd, EtcdTables tables, ObjectMapper mapper, ProcessTable processes, Leadership leadership) {
        this.etcd = etcd;
        this.mapper = mapper;
        this.processes = processes;
        this.leadership = leadership;
        this.constraints = tables.open("scheduler/constraints/", this::encode, this::decode);
    }

    @PostConstruct
    void start() {
        processes.addListener((key, oldValue, newValue) -> {
            if (newValue == null && oldValue != null && leadership.isLeader()) {
                forget(oldValue.gpid());
            }
        });
    }

    /** Remembers the constraints of a new process; none, nothing is written. */
    void record(int gpid, Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return;
        }
        constraints.put(id(gpid), Map.copyOf(labels));
    }

    /** The constraints of a process; empty when it has none. */
    Map<String, String> of(int gpid) {
        return constraints.get(id(gpid)).map(Versioned::value).orElse(Map.of());
    }

    /** Runs in a watch callback, on jetcd's event loop: it must not wait for etcd's answer. */
    private void forget(int gpid) {
        etcd.kv().delete(Etcd.bytes(constraints.key(id(gpid)))).exceptionally(e -> {
            LOG.debugf("constraints of gpid %d not deleted: %s", gpid, e.getMessage());
            return null;
        });
    }

    private static String id(int gpid) {
        return String.format("%010d", gpid);
    }

    private byte[] encode(Map<String, String> labels) {
        try {
            return mapper.writeValueAsBytes(labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, String> decode(byte[] bytes) {
        try {
            return mapper.readValue(bytes, LABELS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
