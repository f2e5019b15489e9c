package io.unum.controlplane.scheduler;

import java.util.List;

/** One way of choosing the node of a new process, among the READY nodes that passed the filters. */
interface PlacementPolicy {

    /** The node, and why it in words and figures. */
    record Choice(Candidate node, String reason) {
    }

    /**
     * @param fits at least one node, sorted by name
     * @throws io.unum.controlplane.error.UnumException when the policy refuses every node
     */
    Choice choose(List<Candidate> fits, Policy policy);

    /** "node-1 0.50, node-2 1.00": the figure each node was judged on. */
    static String figures(List<Candidate> fits, java.util.function.Function<Candidate, String> figure) {
        return String.join(", ", fits.stream().map(c -> c.name() + " " + figure.apply(c)).toList());
    }
}
