package io.unum.controlplane.scheduler;

import io.unum.controlplane.scheduler.BalancingPolicy.Movable;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * MOSIX-style CPU balancing. A node is overloaded when its load per core exceeds the cluster's
 * (total load over total cores) by the policy's threshold. A busy process then moves from the
 * most overloaded node to the least loaded one, but only if the target, with the process, would
 * still be less loaded than the source is now, by a margin. That condition is what rules out
 * ping-pong: after the move the reverse move fails the same test.
 *
 * <p>A process counts as one runnable task. Processes using less than {@value #BUSY_PERCENT}% of
 * a core are not worth moving for CPU: they add no load.
 */
final class MosixBalancing implements BalancingPolicy {
    static final double BUSY_PERCENT = 1.0;
    /** Load-per-core margin that keeps noisy figures from triggering a move that gains nothing. */
    static final double MARGIN = 0.25;

    @Override
    public Optional<Move> next(Cluster cluster, Policy policy) {
        List<Candidate> nodes = cluster.nodes();
        double capacity = nodes.stream().mapToDouble(Candidate::cpuCapacity).sum();
        if (nodes.size() < 2 || capacity <= 0) {
            return Optional.empty();
        }
        double average = nodes.stream().mapToDouble(Candidate::load).sum() / capacity;
        List<Candidate> byLoad = nodes.stream().sorted(Comparator.comparingDouble(Candidate::loadPerCore).reversed()
                .thenComparing(Candidate::name)).toList();
        for (Candidate source : byLoad) {
            if (source.loadPerCore() <= average + policy.loadThreshold()) {
                break;
            }
            List<Movable> busiestFirst = cluster.movable().getOrDefault(source.name(), List.of()).stream()
                    .filter(m -> m.cpuPercent() >= BUSY_PERCENT)
                    .sorted(Comparator.comparingDouble(Movable::cpuPercent).reversed()
                            .thenComparingInt(m -> m.process().gpid()))
                    .toList();
            for (Movable process : busiestFirst) {
                Optional<Candidate> target = nodes.stream().filter(n -> n != source && process.fits(n))
                        .min(Comparator.comparingDouble(Candidate::loadPerCore).thenComparing(Candidate::name))
                        .filter(t -> (t.load() + 1) / t.cpuCapacity() + MARGIN < source.loadPerCore());
                if (target.isPresent()) {
                    Candidate t = target.get();
                    return Optional.of(new Move(process.process(), source, t, 1, process.rssBytes(),
                            "load per core " + Candidate.fmt(source.loadPerCore()) + " on " + source.name()
                                    + " exceeds the cluster's " + Candidate.fmt(average) + " by more than "
                                    + policy.loadThreshold() + "; " + t.name() + " is least loaded at "
                                    + Candidate.fmt(t.loadPerCore())));
                }
            }
        }
        return Optional.empty();
    }
}
