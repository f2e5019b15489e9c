package io.unum.controlplane.scheduler;

import io.quarkus.scheduler.Scheduled;
import io.unum.controlplane.leader.Leadership;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.InstantSource;
import org.jboss.logging.Logger;

/**
 * On the leader only: runs a balancing round every probe period of the policy in force. Reads
 * the policy at every tick, so a change applies at the next one. A replica that becomes leader
 * first reads the decision log, so that the minimum interval between two moves of a process
 * holds across a change of leader.
 */
@ApplicationScoped
public class Balancer {
    private static final Logger LOG = Logger.getLogger(Balancer.class);

    private final Leadership leadership;
    private final PolicyStore policies;
    private final Probes probes;
    private final ProcessTable processes;
    private final NodeStore nodes;
    private final EventLog events;
    private final Rebalancer rebalancer;
    private final InstantSource clock;
    private long term = -1;
    private Instant lastRound = Instant.EPOCH;

    public Balancer(Leadership leadership, PolicyStore policies, Probes probes, ProcessTable processes, NodeStore nodes,
            EventLog events, ProcessConstraints constraints, ProcessMover mover, InstantSource clock) {
        this.clock = clock;
        this.leadership = leadership;
        this.policies = policies;
        this.probes = probes;
        this.processes = processes;
        this.nodes = nodes;
        this.events = events;
        this.rebalancer = new Rebalancer(mover, events::publish, constraints::of, clock);
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            if (!leadership.isLeader()) {
                term = -1;
                return;
            }
            if (term != leadership.term()) {
                term = leadership.term();
                rebalancer.resume(events.recent());
            }
            Policy policy = policies.current();
            Instant now = clock.instant();
            if (policy.balancing() == Policy.BalancingKind.NONE || now.isBefore(lastRound.plus(policy.probePeriod()))) {
                return;
            }
            lastRound = now;
            rebalancer.round(probes.all(), processes.list(), nodes.processUsage(), policy, leadership::isLeader);
        } catch (Throwable t) {
            LOG.warnf("balancing round failed: %s", t.getMessage());
        }
    }
}
