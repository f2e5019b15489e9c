package io.unum.controlplane.scheduler;

import io.unum.controlplane.scheduler.BalancingPolicy.Movable;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Memory ushering: when a node's free memory falls below the policy's minimum, its largest
 * movable process goes to the node with the most free memory, provided that node keeps the
 * minimum free after taking it (so the problem is not just moved along).
 */
final class MemoryUsheringBalancing implements BalancingPolicy {

    @Override
    public Optional<Move> next(Cluster cluster, Policy policy) {
        long minFree = policy.minFreeMemoryBytes();
        List<Candidate> short_ = cluster.nodes().stream().filter(n -> n.memoryFreeBytes() < minFree)
                .sorted(Comparator.comparingLong(Candidate::memoryFreeBytes)).toList();
        for (Candidate source : short_) {
            List<Movable> largestFirst = cluster.movable().getOrDefault(source.name(), List.of()).stream()
                    .sorted(Comparator.comparingLong(Movable::rssBytes).reversed()).toList();
            for (Movable m : largestFirst) {
                Optional<Candidate> target = cluster.nodes().stream().filter(n -> n != source)
                        .filter(n -> m.fits(n) && n.memoryFreeBytes() - m.rssBytes() >= minFree)
                        .max(Comparator.comparingLong(Candidate::memoryFreeBytes));
                if (target.isPresent()) {
                    Candidate t = target.get();
                    return Optional.of(new Move(m.process(), source, t, m.cpuPercent() >= MosixBalancing.BUSY_PERCENT ? 1 : 0,
                            m.rssBytes(), source.name() + " has " + PlacementPolicies.mib(source.memoryFreeBytes())
                                    + " free, below " + PlacementPolicies.mib(minFree) + "; moving "
                                    + PlacementPolicies.mib(m.rssBytes()) + " to " + t.name() + " ("
                                    + PlacementPolicies.mib(t.memoryFreeBytes()) + " free)"));
                }
            }
        }
        return Optional.empty();
    }
}
