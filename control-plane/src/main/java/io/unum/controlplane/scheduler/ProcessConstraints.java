package io.unum.controlplane.scheduler;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.quarkus.runtime.Startup;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.WatchedPrefix;
import io.unum.controlplane.etcd.WatchedPrefix.Versioned;
import io.unum.controlplane.leader.Leadership;
import io.unum.controlplane.process.ProcessStore;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
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
    private final ProcessStore processes;
    private final Leadership leadership;
    private final String prefix;
    private WatchedPrefix<Map<String, String>> constraints;

    public ProcessConstraints(Etcd etcd, ObjectMapper mapper, ProcessStore processes, Leadership leadership) {
        this.etcd = etcd;
        this.mapper = mapper;
        this.processes = processes;
        this.leadership = leadership;
        this.prefix = etcd.key("scheduler/constraints/");
    }

    @PostConstruct
    void start() {
        constraints = new WatchedPrefix<>(etcd, prefix, this::decode);
        constraints.start();
        processes.addListener((key, oldValue, newValue) -> {
            if (newValue == null && oldValue != null && leadership.isLeader()) {
                forget(oldValue.gpid());
            }
        });
    }

    @PreDestroy
    void stop() {
        constraints.close();
    }

    /** Remembers the constraints of a new process; none, nothing is written. */
    void record(int gpid, Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return;
        }
        try {
            String key = key(gpid);
            long revision = etcd.await(etcd.kv().put(Etcd.bytes(key), ByteSequence.from(mapper.writeValueAsBytes(labels))))
                    .getHeader().getRevision();
            constraints.applyLocal(key, Map.copyOf(labels), revision);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The constraints of a process; empty when it has none. */
    Map<String, String> of(int gpid) {
        return constraints.get(key(gpid)).map(Versioned::value).orElse(Map.of());
    }

    /** Runs in a watch callback, on jetcd's event loop: it must not wait for etcd's answer. */
    private void forget(int gpid) {
        etcd.kv().delete(Etcd.bytes(key(gpid))).exceptionally(e -> {
            LOG.debugf("constraints of gpid %d not deleted: %s", gpid, e.getMessage());
            return null;
        });
    }

    private String key(int gpid) {
        return prefix + String.format("%010d", gpid);
    }

    private Map<String, String> decode(byte[] bytes) {
        try {
            return mapper.readValue(bytes, LABELS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
