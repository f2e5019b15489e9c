package io.unum.controlplane.scheduler;

import io.unum.api.model.ProcessInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One way of choosing the next process to move, or none when the cluster is balanced enough. */
interface BalancingPolicy {

    /**
     * @param process the process to move
     * @param tasks the runnable tasks it is expected to take with it
     * @param memoryBytes the memory it takes with it
     */
    record Move(ProcessInfo process, Candidate from, Candidate to, double tasks, long memoryBytes, String reason) {
    }

    /** What the policy may look at: READY nodes and, by node name, the processes it may move. */
    record Cluster(List<Candidate> nodes, Map<String, List<Movable>> movable) {
    }

    /** A process that may move now, with its last reported usage and the labels its node must have. */
    record Movable(ProcessInfo process, double cpuPercent, long rssBytes, Map<String, String> constraints) {

        boolean fits(Candidate node) {
            return Labels.matches(node.labels(), constraints);
        }
    }

    Optional<Move> next(Cluster cluster, Policy policy);
}
