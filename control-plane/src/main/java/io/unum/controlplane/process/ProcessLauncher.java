package io.unum.controlplane.process;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.unum.api.grpc.RemoveProcessRequest;
import io.unum.api.grpc.StartProcessRequest;
import io.unum.api.grpc.StartProcessResponse;
import io.unum.api.model.AuditAction;
import io.unum.api.model.Capabilities;
import io.unum.api.model.Capability;
import io.unum.api.model.CapabilityChange;
import io.unum.api.model.CapabilityRuleException;
import io.unum.api.model.CapabilitySet;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.controlplane.audit.AuditLog;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.EtcdUnavailableException;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.scheduler.Placement;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Starts processes. A spawn costs three etcd writes over its life: the PENDING record
 * (written before the agent is asked, so no process ever runs without a record), RUNNING
 * with its local pid, and EXITED when the agent reports the end. When the agent refuses
 * the request (binary, cwd or user missing) the PENDING record is deleted again, so bad
 * input leaves nothing behind.
 */
@ApplicationScoped
public class ProcessLauncher {
    private static final Logger LOG = Logger.getLogger(ProcessLauncher.class);
    /** Each bounded by unum.etcd.timeout: together they ride out an etcd outage of a few seconds. */
    private static final int START_WRITE_ATTEMPTS = 3;

    private final ProcessStore processes;
    private final GpidAllocator gpids;
    private final SpawnValidator validator;
    private final Placement placement;
    private final AgentClients agents;
    private final ProcessConfig config;
    private final MeterRegistry metrics;
    private final InstantSource clock;
    private final AbandonedSpawns abandoned;
    private final Identities identities;
    private final AuditLog audit;

    public ProcessLauncher(ProcessStore processes, GpidAllocator gpids, SpawnValidator validator,
            Placement placement, AgentClients agents, ProcessConfig config, MeterRegistry metrics, InstantSource clock,
            AbandonedSpawns abandoned, Identities identities, AuditLog audit) {
        this.identities = identities;
        this.audit = audit;
        this.clock = clock;
        this.abandoned = abandoned;
        this.processes = processes;
        this.gpids = gpids;
        this.validator = validator;
        this.placement = placement;
        this.agents = agents;
        this.config = config;
        this.metrics = metrics;
    }

    public ProcessInfo spawn(SpawnRequest request) {
        validator.validate(request);
        CapabilityChange capChange;
        try {
            capChange = CapabilityChange.parse(request.capabilities());
        } catch (IllegalArgumentException e) {
            throw UnumException.invalidRequest(e.getMessage());
        }
        ProcessInfo parent = null;
        if (request.parentGpid() != null) {
            parent = processes.find(request.parentGpid()).orElseThrow(() -> UnumException.processNotFound(
                    "parent gpid " + request.parentGpid() + " does not exist"));
        }
        Capabilities caps = initialCapabilities(parent, capChange);
        Identities.RunAs runAs = identities.forSpawn(request, parent);
        Placement.Placed placed = placement.place(new Placement.Request(request.node(), request.constraints(), parent));
        NodeInfo node = placed.node();

        int gpid = gpids.next();
        Instant now = clock.instant();
        Map<String, String> env = request.env() == null ? Map.of() : request.env();
        ProcessInfo pending = new ProcessInfo(gpid, parent == null ? null : parent.gpid(), node.name(), 0,
                List.copyOf(request.argv()), request.cwd() == null ? config.defaultCwd() : request.cwd(),
                runAs.user(), env.keySet().stream().sorted().toList(), ProcessState.PENDING, null, null, null, caps,
                now, null, null, null, null, runAs.uid(), runAs.gid(), runAs.group(),
                !Boolean.FALSE.equals(request.noNewPrivs()));
        long t0 = System.nanoTime();
        try {
            while (!processes.create(pending)) {
                // The gpid space wrapped onto a record that still exists; take the next one.
                pending = renumber(pending, gpids.next());
            }
        } catch (EtcdUnavailableException e) {
            abandoned.forget(pending);
            throw e;
        }
        phase("record", t0);
        auditIfPrivileged(request, pending);
        placement.placed(pending.gpid(), placed);
        return start(pending, node, env);
    }

    /**
     * A spawn as a named account instead of a dynamic uid of its own, allowed to gain privileges
     * (NoNewPrivs off), or with capabilities asked for, is recorded before the agent is asked; if
     * the audit log cannot take it, nothing is started.
     */
    private void auditIfPrivileged(SpawnRequest request, ProcessInfo pending) {
        List<String> why = new java.util.ArrayList<>();
        if (pending.uid() == null) {
            why.add("user " + pending.user() + " instead of a dynamic uid");
        }
        if (Boolean.FALSE.equals(pending.noNewPrivs())) {
            why.add("new privileges allowed (NoNewPrivs off)");
        }
        if (request.capabilities() != null && !request.capabilities().isBlank()) {
            why.add("capabilities asked for");
        }
        if (why.isEmpty()) {
            return;
        }
        try {
            audit.record(AuditAction.PRIVILEGED_SPAWN, pending.gpid(), pending.node(), pending.argv(), pending.user(),
                    request.capabilities(), String.join("; ", why));
        } catch (RuntimeException e) {
            processes.delete(pending);
            throw e;
        }
    }

    private ProcessInfo start(ProcessInfo pending, NodeInfo node, Map<String, String> env) {
        StartProcessResponse started;
        long t0 = System.nanoTime();
        try {
            StartProcessRequest.Builder req = StartProcessRequest.newBuilder()
                    .setGpid(pending.gpid())
                    .addAllArgv(pending.argv())
                    .setCwd(pending.cwd())
                    .putAllEnv(env)
                    .setAllowNewPrivs(Boolean.FALSE.equals(pending.noNewPrivs()))
                    .setRemoteMemory(pending.capabilities().effective().contains(Capability.USE_REMOTE_MEMORY));
            if (pending.uid() != null) {
                req.setUid(pending.uid()).setGid(pending.gid());
            } else {
                req.setUser(pending.user());
            }
            started = agents.blocking(node.address()).startProcess(req.build());
        } catch (StatusRuntimeException e) {
            return refused(pending, node, e);
        }
        phase("agent", t0);
        metrics.counter("unum.processes.spawned").increment();
        int pid = started.getLocalPid();
        Instant at = clock.instant();
        long t1 = System.nanoTime();
        ProcessInfo running = recordStart(pending, node, pid, at);
        phase("running", t1);
        return running;
    }

    /**
     * Writes RUNNING with the pid, retried through a short etcd outage. If etcd stays away the
     * process is stopped again and the spawn refused: nothing may run that the table does not say.
     */
    private ProcessInfo recordStart(ProcessInfo pending, NodeInfo node, int pid, Instant at) {
        for (int attempt = 1; ; attempt++) {
            try {
                // The exit report may already have won the race: never move an ended record back, but
                // keep the pid it ran as, which its output and the process list name it by.
                return processes.update(pending.gpid(), p -> p.state() == ProcessState.PENDING ? p.running(pid, at)
                                : p.localPid() == 0 && node.name().equals(p.node()) ? p.startedAs(pid, at) : p)
                        .orElseThrow(() -> new IllegalStateException("record of " + pending.gpid() + " vanished"));
            } catch (EtcdUnavailableException e) {
                if (attempt == START_WRITE_ATTEMPTS) {
                    LOG.warnf("gpid %d started on %s but etcd did not take its RUNNING record; stopping it", pending.gpid(),
                            node.name());
                    try {
                        agents.blocking(node.address()).removeProcess(RemoveProcessRequest.newBuilder()
                                .setGpid(pending.gpid()).build());
                    } catch (StatusRuntimeException gone) {
                        LOG.warnf("gpid %d: stopping it on %s failed too: %s", pending.gpid(), node.name(), gone.getStatus());
                    }
                    abandoned.forget(pending);
                    throw e;
                }
            }
        }
    }

    /** Time spent in one step of a spawn, so that benchmarks can say where the latency goes. */
    private void phase(String step, long startNanos) {
        metrics.timer("unum.spawn.phase", "step", step).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    private ProcessInfo refused(ProcessInfo pending, NodeInfo node, StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        String detail = e.getStatus().getDescription();
        if (code == Status.Code.INVALID_ARGUMENT) {
            processes.delete(pending);
            throw UnumException.invalidRequest("node " + node.name() + " cannot start it: " + detail);
        }
        String reason = switch (code) {
            case FAILED_PRECONDITION -> "exec failed on " + node.name() + ": " + detail;
            case UNAVAILABLE, DEADLINE_EXCEEDED -> "node " + node.name() + " did not answer: " + detail;
            default -> "node " + node.name() + " refused: " + code + " " + detail;
        };
        LOG.infof("gpid %d failed to start: %s", pending.gpid(), reason);
        Instant at = clock.instant();
        ProcessInfo failed = processes.update(pending.gpid(), p -> p.state() == ProcessState.PENDING ? p.failed(reason, at) : p)
                .orElse(pending);
        if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
            throw UnumException.nodeUnavailable("gpid " + failed.gpid() + " FAILED: " + reason);
        }
        throw UnumException.invalidRequest("gpid " + failed.gpid() + " FAILED: " + reason);
    }

    private Capabilities initialCapabilities(ProcessInfo parent, CapabilityChange change) {
        Capabilities base = parent == null ? defaults() : Capabilities.inheritedFrom(parent.capabilities());
        try {
            return base.apply(change, CapabilityChange.NONE, CapabilityChange.NONE, CapabilityChange.NONE, false);
        } catch (CapabilityRuleException e) {
            throw UnumException.capabilityDenied(e.getMessage());
        }
    }

    Capabilities defaults() {
        ProcessConfig.Defaults d = config.defaultCapabilities();
        return new Capabilities(set(d.effective()), set(d.permitted()), set(d.inheritableEffective()),
                set(d.inheritablePermitted()));
    }

    private static CapabilitySet set(String names) {
        return CapabilitySet.NONE.apply(CapabilityChange.parse(names));
    }

    private static ProcessInfo renumber(ProcessInfo p, int gpid) {
        return new ProcessInfo(gpid, p.parentGpid(), p.node(), p.localPid(), p.argv(), p.cwd(), p.user(), p.envNames(),
                p.state(), p.exitCode(), p.exitSignal(), p.reason(), p.capabilities(), p.createdAt(), p.startedAt(),
                p.endedAt(), p.cpuPercent(), p.rssBytes(), p.uid(), p.gid(), p.group(), p.noNewPrivs());
    }
}
