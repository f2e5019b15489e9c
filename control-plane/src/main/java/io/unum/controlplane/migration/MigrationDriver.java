package io.unum.controlplane.migration;

import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.DumpProcessResponse;
import io.unum.api.grpc.RestoreProcessResponse;
import io.unum.api.model.Capability;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationMode;
import io.unum.api.model.MigrationState;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.image.AgentImages;
import io.unum.controlplane.image.AgentImages.AgentCallException;
import io.unum.controlplane.node.NodeStore;
import io.unum.controlplane.node.NodeUsage;
import io.unum.controlplane.process.ProcessLocks;
import io.unum.controlplane.process.ProcessStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Live migration of a process from its node to another, by CRIU: the source agent dumps the
 * process (it stops there), pushes the image to the target agent, the target restores it held
 * (stopped), one etcd transaction moves the process record to the target (the commit point), and
 * the target releases it. {@link MigrationFinisher} ends it from any step by the rules that keep a
 * process from being lost or run twice. The replica that accepted the request drives the steps
 * and names itself in the record; if it dies, the leader's {@link MigrationRecovery} takes over as
 * soon as its presence key is gone.
 */
@ApplicationScoped
public class MigrationDriver {
    private static final Logger LOG = Logger.getLogger(MigrationDriver.class);
    private static final long PROGRESS_WRITE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MigrationStore store;
    private final MigrationFinisher finisher;
    private final DriverPresence presence;
    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final NodeStore nodes;
    private final AgentImages images;
    private final MigrationConfig config;
    private final InstantSource clock;
    private final SecureRandom random = new SecureRandom();
    private final Set<String> driving = ConcurrentHashMap.newKeySet();
    private final ExecutorService drivers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "migration");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService touches = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "migration-touch");
        t.setDaemon(true);
        return t;
    });

    public MigrationDriver(MigrationStore store, MigrationFinisher finisher, DriverPresence presence,
            ProcessStore processes, ProcessLocks locks, NodeStore nodes, AgentImages images, MigrationConfig config,
            InstantSource clock) {
        this.finisher = finisher;
        this.presence = presence;
        this.clock = clock;
        this.config = config;
        this.store = store;
        this.processes = processes;
        this.locks = locks;
        this.nodes = nodes;
        this.images = images;
    }

    @PreDestroy
    void stop() {
        drivers.shutdownNow();
        touches.shutdownNow();
    }

    /**
     * Checks the request, writes the migration record (PREPARING) and starts it in the
     * background. Every refusal happens here, before anything is written.
     */
    public MigrationInfo start(int gpid, String targetName, MigrationMode mode) {
        if (targetName == null || targetName.isBlank()) {
            throw UnumException.invalidRequest("name the node to migrate to, e.g. {\"node\": \"node-2\"}");
        }
        ProcessInfo process = processes.get(gpid);
        NodeInfo target = nodes.get(targetName);
        if (process.state() != ProcessState.RUNNING) {
            throw UnumException.invalidState("process " + gpid + " is " + process.state() + "; only a RUNNING process can migrate");
        }
        if (!process.capabilities().effective().contains(Capability.CAN_MIGRATE)) {
            throw UnumException.invalidState("process " + gpid + " lacks CAN_MIGRATE in its effective capabilities; "
                    + "grant it with 'unum caps " + gpid + " -e +CAN_MIGRATE'");
        }
        if (target.name().equals(process.node())) {
            throw UnumException.invalidState("process " + gpid + " already runs on " + target.name() + "; choose another node");
        }
        if (target.state() != NodeState.READY) {
            throw UnumException.invalidState("node " + target.name() + " is " + target.state() + "; choose a READY node");
        }
        NodeInfo source = nodes.get(process.node());
        if (source.state() != NodeState.READY) {
            throw UnumException.invalidState("the process's node " + source.name() + " is " + source.state()
                    + "; it can migrate once its node is back");
        }
        if (mode == MigrationMode.POST_COPY) {
            refusePostCopyObstacles(source, gpid);
        }
        MigrationMode chosen = mode != null ? mode : modeBySize(source, gpid);
        locks.holder(gpid).ifPresent(h -> {
            throw UnumException.invalidState("process " + gpid + " is busy with " + h + "; retry when it is done");
        });
        Versioned<ProcessInfo> current = processes.current(gpid).orElseThrow(() -> UnumException.invalidState(
                "process " + gpid + " vanished"));
        if (current.value().state() != ProcessState.RUNNING || !current.value().node().equals(source.name())) {
            throw UnumException.invalidState("process " + gpid + " changed meanwhile (now " + current.value().state()
                    + " on " + current.value().node() + "); retry");
        }
        Instant now = clock.instant();
        MigrationInfo m = new MigrationInfo(newId(), gpid, source.name(), target.name(),
                chosen, MigrationState.PREPARING, null,
                null, null, null, null, null, null, null, null, null, now, now, presence.self());
        // Marked as driven here before the record exists: the recovery must never see it ours and undriven.
        driving.add(m.id());
        boolean begun = false;
        try {
            begun = store.begin(m, current);
        } finally {
            if (!begun) {
                driving.remove(m.id());
            }
        }
        if (!begun) {
            throw UnumException.invalidState("process " + gpid + " changed or became busy meanwhile; retry");
        }
        LOG.infof("migration %s: gpid %d from %s to %s", m.id(), gpid, source.name(), target.name());
        // A long step (a dump of gigabytes) writes nothing for a while: touch the record so that
        // the leader does not take this live migration for an abandoned one.
        long every = Math.max(1, config.abandonedAfter().toMillis() / 3);
        ScheduledFuture<?> touch = touches.scheduleWithFixedDelay(() -> touch(m.id()), every, every, TimeUnit.MILLISECONDS);
        drivers.execute(() -> {
            try {
                drive(m);
            } catch (RuntimeException e) {
                LOG.errorf(e, "migration %s stopped unexpectedly; the leader will recover it", m.id());
            } finally {
                touch.cancel(false);
                driving.remove(m.id());
            }
        });
        return m;
    }

    private void touch(String id) {
        try {
            store.update(id, r -> r.state().isTerminal() ? r : r.to(r.state(), clock.instant()));
        } catch (RuntimeException e) {
            LOG.debugf("could not touch migration %s: %s", id, e.getMessage());
        }
    }

    /** Whether this replica is driving the migration right now (the recovery leaves those alone). */
    boolean isDriving(String id) {
        return driving.contains(id);
    }

    private void drive(MigrationInfo m) {
        NodeInfo source = nodes.get(m.source());
        NodeInfo target = nodes.get(m.target());
        m = store.update(m.id(), r -> r.to(MigrationState.DUMPING, clock.instant()));
        long frozenAt = System.nanoTime();
        Instant frozenSince = clock.instant();
        boolean postCopy = m.mode() == MigrationMode.POST_COPY;
        DumpProcessResponse dumped;
        try {
            dumped = postCopy ? images.dumpLazy(source, m.gpid(), m.id(), target) : images.dumpToMove(source, m.gpid(), m.id(), target);
        } catch (AgentCallException e) {
            // Refused (CRIU leaves a tree it could not dump running) or interrupted: the source says which.
            finisher.afterFailedDump(m, "the dump on " + m.source() + " failed: " + e.getMessage());
            return;
        }
        // The freeze begins when CRIU starts: what the source did before (its checks, waiting for
        // the pages of a previous post-copy move, letting a server accept) ran with the process.
        frozenAt += dumped.getPrepareMillis() * 1_000_000;
        long preFreezeMillis = Math.max(0, frozenSince.toEpochMilli() + dumped.getPrepareMillis() - m.createdAt().toEpochMilli());
        m = store.update(m.id(), r -> r.dumped(dumped.getImageBytes(), preFreezeMillis, dumped.getDumpMillis(), clock.instant()));
        long transferStart = System.nanoTime();
        try {
            long[] lastWrite = {System.nanoTime()};
            String id = m.id();
            images.push(source, m.id(), target, sent -> {
                if (System.nanoTime() - lastWrite[0] > PROGRESS_WRITE_NANOS) {
                    lastWrite[0] = System.nanoTime();
                    store.update(id, r -> r.transferred(sent, clock.instant()));
                }
            });
        } catch (AgentCallException e) {
            // Nothing was restored on the target yet: no copy there can run.
            images.deleteQuietly(target, m.id());
            finisher.resumeOnSource(m, "the transfer to " + m.target() + " failed: " + e.getMessage());
            return;
        }
        long transferMillis = (System.nanoTime() - transferStart) / 1_000_000;
        m = store.update(m.id(), r -> r.transferComplete(transferMillis, clock.instant()));
        RestoreProcessResponse restored;
        try {
            // Post-copy: the target fetches the pages from the source agent's host, where CRIU serves them.
            String pageServer = postCopy ? host(source.address()) + ":" + dumped.getPageServerPort() : null;
            restored = images.restore(target, m.gpid(), m.id(), pageServer, true);
        } catch (AgentCallException e) {
            String why = "the restore on " + m.target() + " failed: " + e.getMessage();
            if (e.unreachable()) {
                finisher.afterAmbiguousRestore(m, why, (System.nanoTime() - frozenAt) / 1_000_000);
            } else {
                finisher.afterRefusedRestore(m, why);
            }
            return;
        }
        long freezeMillis = (System.nanoTime() - frozenAt) / 1_000_000;
        finisher.commitAndRelease(m, restored.getLocalPid(), freezeMillis, restored.getRestoreMillis());
    }

    public Optional<MigrationInfo> find(String id) {
        return store.find(id);
    }

    private static String host(String address) {
        int colon = address.lastIndexOf(':');
        return colon < 0 ? address : address.substring(0, colon);
    }

    /**
     * Post-copy freezes for a near-constant time (the pages follow the resumed process) while a
     * stop-and-copy freeze grows with the memory copied: small processes move faster stop-and-copy,
     * large ones post-copy. Post-copy cannot carry POSIX file locks or TCP connections, so their
     * holders stay stop-and-copy whatever their size.
     */
    private MigrationMode modeBySize(NodeInfo source, int gpid) {
        NodeUsage.Usage usage = nodes.processUsage().get(gpid);
        if (usage == null || usage.rssBytes() < config.postCopyAbove().asLongValue()) {
            return MigrationMode.STOP_AND_COPY;
        }
        try {
            return postCopyObstacles(images.describe(source, gpid)) == null
                    ? MigrationMode.POST_COPY : MigrationMode.STOP_AND_COPY;
        } catch (AgentCallException e) {
            return MigrationMode.STOP_AND_COPY;
        }
    }

    /**
     * Post-copy cannot move POSIX locks (the frozen source keeps them while the target's restore
     * waits to take them again) nor TCP connections (the frozen source keeps its sockets while
     * the target remakes them). Refused here, before anything is written or frozen. If the source
     * cannot say, its dump refuses the same way and the migration rolls back.
     */
    private void refusePostCopyObstacles(NodeInfo source, int gpid) {
        String obstacles;
        try {
            obstacles = postCopyObstacles(images.describe(source, gpid));
        } catch (AgentCallException e) {
            return;
        }
        if (obstacles != null) {
            throw UnumException.invalidState("process " + gpid + " holds " + obstacles
                    + "; post-copy cannot move them: migrate it stop-and-copy");
        }
    }

    /** What the process holds that post-copy cannot move, or null. */
    private static String postCopyObstacles(DescribeProcessResponse described) {
        List<String> held = new ArrayList<>();
        if (described.getFileLocksCount() > 0) {
            held.add("POSIX file locks (" + String.join(", ", described.getFileLocksList()) + ")");
        }
        if (described.getTcpConnectionsCount() > 0) {
            held.add("TCP connections (" + String.join(", ", described.getTcpConnectionsList()) + ")");
        }
        return held.isEmpty() ? null : String.join(" and ", held);
    }

    private String newId() {
        byte[] b = new byte[4];
        random.nextBytes(b);
        return "m-" + HexFormat.of().formatHex(b);
    }
}
