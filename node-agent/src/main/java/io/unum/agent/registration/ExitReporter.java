package io.unum.agent.registration;

import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.ProcessView;
import io.unum.api.grpc.ReportProcessExitRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Reports ended processes to the control plane until each report is acknowledged, then marks
 * it with {@code exit-reported} so a restarted agent does not resend. At start it picks up
 * exits that happened while no agent was running.
 */
public final class ExitReporter implements AutoCloseable {
    /** How long an exit report waits for a post-copy restore's pages daemon to say whether pages went missing. */
    private static final java.time.Duration PAGES_SETTLE = java.time.Duration.ofSeconds(3);

    private static final Logger LOG = Logger.getLogger(ExitReporter.class.getName());

    private final ControlPlaneClient client;
    private final ProcessSupervisor supervisor;
    private final String node;
    private final Backoff backoff = new Backoff();
    private final Map<Integer, ProcessView> pending = new LinkedHashMap<>();
    private final Thread thread;
    private volatile boolean stopped;

    public ExitReporter(ControlPlaneClient client, ProcessSupervisor supervisor, String node) {
        this.client = client;
        this.supervisor = supervisor;
        this.node = node;
        this.thread = new Thread(this::run, "unum-exit-reporter");
        this.thread.setDaemon(true);
    }

    public void start() {
        supervisor.addExitListener(this::enqueue);
        supervisor.endedUnreported().forEach(this::enqueue);
        thread.start();
    }

    private void enqueue(ProcessView v) {
        if (v.running() || v.exit().isEmpty() || supervisor.isExitReported(v.gpid())) {
            return;
        }
        synchronized (pending) {
            pending.put(v.gpid(), v);
            pending.notifyAll();
        }
    }

    private void run() {
        while (!stopped) {
            ProcessView next;
            synchronized (pending) {
                while (pending.isEmpty() && !stopped) {
                    try {
                        pending.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (stopped) {
                    return;
                }
                next = pending.values().iterator().next();
            }
            try {
                if (supervisor.procDir(next.gpid()).isPresent() && !supervisor.isExitReported(next.gpid())) {
                    supervisor.awaitPagesSettled(next.gpid(), PAGES_SETTLE);
                    String reason = supervisor.endReason(next.gpid()).orElse("");
                    client.call(stub -> stub.reportProcessExit(ReportProcessExitRequest.newBuilder()
                            .setNode(node)
                            .setGpid(next.gpid())
                            .setExitStatus(next.exit().orElseThrow().toProto())
                            .setReason(reason)
                            .build()));
                    supervisor.markExitReported(next.gpid());
                    LOG.info("reported exit of gpid " + next.gpid() + ": " + next.exit().orElseThrow());
                }
                synchronized (pending) {
                    pending.remove(next.gpid());
                }
                backoff.reset();
            } catch (Throwable e) {
                long delay = backoff.nextMillis();
                LOG.warning("reporting exit of gpid " + next.gpid() + " failed, retrying in " + delay + " ms: " + e);
                synchronized (pending) {
                    // move it to the back so one stuck report does not hold up the others
                    pending.remove(next.gpid());
                    pending.put(next.gpid(), next);
                    try {
                        pending.wait(delay);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        synchronized (pending) {
            pending.notifyAll();
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
