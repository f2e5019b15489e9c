package io.unum.controlplane.process;

import io.unum.api.grpc.ExitStatus;
import io.unum.api.grpc.LocalProcess;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.unum.controlplane.etcd.EtcdTable.Alongside;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.node.NodeProcesses;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/** Moves process records along their states as agents report what happened on their nodes. */
@ApplicationScoped
public class ProcessLifecycle implements NodeProcesses {
    private static final Logger LOG = Logger.getLogger(ProcessLifecycle.class);

    /** etcd refuses transactions of more than 128 operations by default; one is the node's own. */
    private static final int LOST_IN_ONE_TRANSACTION = 100;

    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final InstantSource clock;

    public ProcessLifecycle(ProcessStore processes, ProcessLocks locks, InstantSource clock) {
        this.clock = clock;
        this.processes = processes;
        this.locks = locks;
    }

    /** An agent reports that a process ended, and why when it ended it itself. Idempotent. */
    @Override
    public void exited(String node, int gpid, ExitStatus status, String reason) {
        Instant at = clock.instant();
        processes.update(gpid, p -> {
            if (!node.equals(p.node()) || p.state().isTerminal()) {
                return p;
            }
            ProcessInfo ended = exitedRecord(p, status, at);
            return reason == null || reason.isBlank() ? ended : ended.withState(ProcessState.EXITED, reason);
        });
    }

    @Override
    public Alongside lostWithNode(String node) {
        List<Cmp> guards = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        List<ProcessInfo> written = new ArrayList<>();
        for (ProcessInfo listed : processes.list()) {
            if (written.size() == LOST_IN_ONE_TRANSACTION) {
                break;
            }
            if (!isLiveOn(listed, node)) {
                continue;
            }
            Versioned<ProcessInfo> current = processes.current(listed.gpid()).orElse(null);
            if (current != null && isLiveOn(current.value(), node)) {
                ProcessInfo lost = current.value().withState(ProcessState.LOST, lostReason(node));
                guards.add(processes.unchanged(lost.gpid(), current));
                ops.add(processes.put(lost));
                written.add(lost);
            }
        }
        return new Alongside(guards, ops, revision -> written.forEach(p -> processes.applied(p, revision)));
    }

    @Override
    public void nodeLost(String node) {
        for (ProcessInfo process : processes.list()) {
            if (isLiveOn(process, node)) {
                processes.update(process.gpid(), p -> isLiveOn(p, node) ? p.withState(ProcessState.LOST, lostReason(node)) : p);
            }
        }
    }

    /**
     * RUNNING there. A PENDING record is its launcher's, which still waits for the agent's answer
     * and ends it RUNNING or FAILED: turned LOST, the registration that follows a false DOWN could
     * end it EXITED ("no longer knows") while the start was in flight, and the process that then
     * started would be stopped as unknown.
     */
    private static boolean isLiveOn(ProcessInfo p, String node) {
        return node.equals(p.node()) && p.state() == ProcessState.RUNNING;
    }

    private static String lostReason(String node) {
        return "node " + node + " stopped heartbeating";
    }

    /**
     * A node (re-)registered with the processes it supervises. Records are brought in line:
     * still running → RUNNING, ended → EXITED with its status, unknown to the agent → EXITED
     * with a reason. Returns the gpids the agent has but the table does not (or has as ended),
     * which the agent must stop and forget.
     */
    @Override
    public List<Integer> reconcile(String node, List<LocalProcess> reported) {
        Map<Integer, LocalProcess> byGpid = reported.stream()
                .collect(Collectors.toMap(LocalProcess::getGpid, Function.identity(), (a, b) -> a));
        Instant at = clock.instant();
        for (ProcessInfo process : processes.list()) {
            // A locked process may be in an image between two nodes: its migration settles it.
            if (!node.equals(process.node()) || process.state().isTerminal() || locks.holder(process.gpid()).isPresent()) {
                continue;
            }
            LocalProcess local = byGpid.get(process.gpid());
            processes.update(process.gpid(), p -> {
                if (!node.equals(p.node()) || p.state().isTerminal()) {
                    return p;
                }
                // A process kept in an image is settled by the agent's own account of it (DescribeProcess:
                // a tree listed here may still be frozen in a dump), see KeptImageRestarter.
                if (KeptImage.lostInto(p, null)) {
                    return p;
                }
                if (local == null) {
                    // PENDING records the agent never started are left to the launcher that is still waiting.
                    if (p.state() == ProcessState.PENDING) {
                        return p;
                    }
                    // Ended now, as far as anyone can tell: kept for the retention like any ended record.
                    return p.exited(null, null, at).withState(ProcessState.EXITED, "node " + node + " no longer knows this process");
                }
                if (local.getRunning()) {
                    return p.state() == ProcessState.RUNNING ? p : p.running(local.getLocalPid(), at);
                }
                return exitedRecord(p, local.getExitStatus(), at);
            });
        }
        List<Integer> unknown = new ArrayList<>();
        for (LocalProcess local : reported) {
            if (locks.holder(local.getGpid()).isPresent()) {
                continue; // e.g. restored here by a migration that has not switched the record yet
            }
            if (local.getHeld() && local.getRunning()) {
                // Stopped, so it can wait: the held-copy reconcile releases, discards or adopts it. It
                // may be the only copy left (a post-copy move whose target died after every page
                // arrived), which "unknown here" would kill.
                continue;
            }
            ProcessInfo record = processes.find(local.getGpid()).orElse(null);
            if (record == null || !node.equals(record.node()) || (record.state().isTerminal() && local.getRunning())) {
                unknown.add(local.getGpid());
            }
        }
        if (!unknown.isEmpty()) {
            LOG.infof("node %s supervises processes without a live record, to be stopped: %s", node, unknown);
        }
        return unknown;
    }

    private static ProcessInfo exitedRecord(ProcessInfo p, ExitStatus status, Instant at) {
        return switch (status.getStatusCase()) {
            case CODE -> p.exited(status.getCode(), null, at);
            case SIGNAL -> p.exited(null, status.getSignal(), at);
            case STATUS_NOT_SET -> p.exited(null, null, at);
        };
    }
}
