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
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Hurts the cluster at a chosen moment and heals it later: SIGKILL of an agent or a control plane
 * and its restart on the same state, SIGKILL of an agent's CRIU, or an etcd outage. Each fault is counted in the report by
 * the role of what it hit and by the phase the operation was in when it hit.
 */
final class FaultInjector implements AutoCloseable {
    private static final Duration PHASE_READ_LIMIT = Duration.ofSeconds(1);
    private static final Duration CRIU_WINDOW = Duration.ofSeconds(10);

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

    /**
     * After delay, SIGKILLs the CRIU processes the node's agent runs for this round's operation
     * (its dump, page server, restore or lazy-pages daemon; the agent lives on) as soon as there
     * are any, within {@link #CRIU_WINDOW}, after a further {@code into} (so that it may hit an
     * operation in its middle, not only its start). ours says which images are the round's: a
     * CRIU of another round's move is not this fault's to kill. A window without one is noted
     * and counts as no fault.
     */
    CompletableFuture<Void> killCriu(String node, String side, Duration delay, Duration into, Supplier<String> phase,
            Predicate<String> ours) {
        java.nio.file.Path stateDir = cluster.agent(node).stateDir();
        Supplier<List<Long>> found = () -> CriuProcesses.working(stateDir).stream()
                .filter(c -> ours.test(c.imageId())).map(CriuProcesses.Criu::pid).toList();
        return schedule("criu@" + node, delay, () -> {
            long deadline = System.nanoTime() + CRIU_WINDOW.toNanos();
            // A CRIU that ends before its moment came passes the fault on to the round's next one, sooner into it.
            for (Duration wait = into; ; wait = wait.dividedBy(2)) {
                while (found.get().isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        report.note("no CRIU of this round ran on " + node + " (" + side + ") within "
                                + CRIU_WINDOW.toMillis() + " ms: no fault");
                        return;
                    }
                    ChaosClock.sleep(Duration.ofMillis(5));
                }
                ChaosClock.sleep(wait);
                List<Long> pids = found.get();
                String observed = observe(phase);
                int killed = CriuProcesses.kill(pids);
                if (killed > 0) {
                    report.fault("criu", observed);
                    report.note("fault: SIGKILL " + killed + " CRIU process(es) " + pids + " of " + node + " (" + side
                            + ") " + wait.toMillis() + " ms into it, in phase " + observed);
                    return;
                }
                report.note("the CRIU on " + node + " (" + side + ") ended before " + wait.toMillis() + " ms more");
                if (System.nanoTime() > deadline) {
                    return;
                }
            }
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
