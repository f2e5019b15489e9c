package io.unum.controlplane.process;

import io.quarkus.scheduler.Scheduled;
import io.unum.api.grpc.RemoveProcessRequest;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.leader.Leadership;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * On the leader: removes ended records older than the retention, and the oldest ones beyond
 * the configured count, then tells their agents to drop the captured output. Also fails
 * records stuck in PENDING, which only happens when the replica that wrote one died before
 * the agent answered.
 */
@ApplicationScoped
public class EndedProcessCollector {
    private static final Logger LOG = Logger.getLogger(EndedProcessCollector.class);

    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final NodeStore nodes;
    private final AgentClients agents;
    private final Leadership leadership;
    private final ProcessConfig config;
    /** Far longer than any agent call may take (unum.node.agent-call-timeout). */
    private static final Duration ABANDONED_AFTER = Duration.ofMinutes(2);

    private final InstantSource clock;

    public EndedProcessCollector(ProcessStore processes, ProcessLocks locks, NodeStore nodes, AgentClients agents,
            Leadership leadership, ProcessConfig config, InstantSource clock) {
        this.clock = clock;
        this.processes = processes;
        this.locks = locks;
        this.nodes = nodes;
        this.agents = agents;
        this.leadership = leadership;
        this.config = config;
    }

    @Scheduled(every = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void collect() {
        try {
            if (!leadership.isLeader()) {
                return;
            }
            failAbandonedStarts();
            Instant cutoff = clock.instant().minus(config.retention());
            List<ProcessInfo> ended = processes.list().stream().filter(p -> p.state().isTerminal())
                    .sorted(Comparator.comparing(p -> p.endedAt() == null ? Instant.EPOCH : p.endedAt()))
                    .toList();
            int excess = Math.max(0, ended.size() - config.maxEnded());
            for (int i = 0; i < ended.size(); i++) {
                ProcessInfo p = ended.get(i);
                // A record without an end time is kept (only the count limit removes it): its end is not known yet.
                boolean expired = p.endedAt() != null && p.endedAt().isBefore(cutoff);
                if ((i < excess || expired) && leadership.isLeader()) {
                    remove(p);
                }
            }
        } catch (Throwable t) {
            LOG.warnf("collecting ended processes failed: %s", t.getMessage());
        }
    }

    private void failAbandonedStarts() {
        Instant now = clock.instant();
        Instant cutoff = now.minus(ABANDONED_AFTER);
        for (ProcessInfo p : processes.list()) {
            if (p.state() == ProcessState.PENDING && p.createdAt() != null && p.createdAt().isBefore(cutoff)) {
                processes.update(p.gpid(), q -> q.state() == ProcessState.PENDING
                        ? q.failed("the start was interrupted: no node confirmed it within " + ABANDONED_AFTER, now) : q);
            }
        }
    }

    private void remove(ProcessInfo p) {
        // A locked ended record is being restarted from a checkpoint.
        if (locks.holder(p.gpid()).isPresent() || !processes.delete(p)) {
            return;
        }
        nodes.find(p.node()).ifPresent(node -> {
            try {
                agents.blocking(node.address()).removeProcess(RemoveProcessRequest.newBuilder().setGpid(p.gpid()).build());
            } catch (RuntimeException e) {
                // The agent forgets it at its next registration, when the gpid is reported unknown.
                LOG.debugf("agent %s did not drop output of %d: %s", node.name(), p.gpid(), e.getMessage());
            }
        });
    }
}
