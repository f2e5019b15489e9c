package io.unum.testing.chaos;

import io.unum.testing.ControlPlaneProcess;
import io.unum.testing.LocalCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Hurts the cluster at a chosen moment and heals it later: SIGKILL of an agent or a control plane
 * and its restart on the same state, or an etcd outage. Each fault is counted in the report by
 * the role of what it hit and by the phase the operation was in when it hit.
 */
final class FaultInjector implements AutoCloseable {
    private static final Duration PHASE_READ_LIMIT = Duration.ofSeconds(1);

    private final LocalCluster cluster;
    private final ChaosReport report;
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(8, r -> {
        Thread t = new Thread(r, "chaos-fault");
        t.setDaemon(true);
        return t;
    });
    /** One fault at a time per thing hurt: a second kill of an agent waits until the first one's restart. */
    private final Map<String, Object> victims = new ConcurrentHashMap<>();

    FaultInjector(LocalCluster cluster, ChaosReport report) {
        this.cluster = cluster;
        this.report = report;
    }

    /**
     * After delay, SIGKILLs the agent (only its JVM: the processes it supervises run on); restarts
     * it restartAfter later. Completes once it was started again.
     */
    CompletableFuture<Void> killAgent(String node, String role, Duration delay, Duration restartAfter, Supplier<String> phase) {
        return schedule(node, delay, () -> {
            hit(role, node, phase);
            cluster.agent(node).kill();
            ChaosClock.sleep(restartAfter);
            cluster.agent(node).restart();
            report.note("restarted agent " + node + " after " + restartAfter.toMillis() + " ms");
        });
    }

    /** After delay, SIGKILLs the control plane; restarts it on its ports restartAfter later. */
    CompletableFuture<Void> killControlPlane(int index, Duration delay, Duration restartAfter, Supplier<String> phase) {
        ControlPlaneProcess cp = cluster.controlPlane(index);
        return schedule(cp.name(), delay, () -> {
            hit("control plane", cp.name(), phase);
            cp.kill();
            ChaosClock.sleep(restartAfter);
            cp.restart();
            report.note("restarted " + cp.name());
        });
    }

    /** After delay, kills etcd and starts it again on its data dir and ports {@code down} later. */
    CompletableFuture<Void> stopEtcd(Duration delay, Duration down, Supplier<String> phase) {
        return schedule("etcd", delay, () -> {
            hit("etcd", "etcd", phase);
            cluster.restartEtcd(down);
            report.note("etcd back after " + down.toMillis() + " ms");
        });
    }

    /** Waits until each of the faults happened and what it stopped was started again. */
    void awaitHealed(List<CompletableFuture<Void>> faults, Duration timeout) {
        for (CompletableFuture<Void> f : faults) {
            try {
                f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("seed " + report.seed() + ": a fault did not heal: " + e, e);
            }
        }
    }

    private void hit(String role, String what, Supplier<String> phase) {
        String observed = observe(phase);
        report.fault(role, observed);
        report.note("fault: SIGKILL " + what + " (" + role + ") in phase " + observed);
    }

    /** The phase, read without letting a hurt cluster hold the fault back. */
    private static String observe(Supplier<String> phase) {
        try {
            return CompletableFuture.supplyAsync(phase).get(PHASE_READ_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return "UNKNOWN";
        }
    }

    private CompletableFuture<Void> schedule(String victim, Duration delay, Runnable fault) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        timer.schedule(() -> {
            try {
                synchronized (victims.computeIfAbsent(victim, v -> new Object())) {
                    fault.run();
                }
                done.complete(null);
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        }, delay.toMillis(), TimeUnit.MILLISECONDS);
        return done;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
