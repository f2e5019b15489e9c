package io.unum.controlplane.scheduler;

import io.unum.controlplane.error.UnumException;
import java.util.Comparator;
import java.util.List;

/** The placement policies. Each is small; together they read as one table. */
final class PlacementPolicies {
    private PlacementPolicies() {
    }

    /** Least runnable tasks per core; a hundredth per process breaks ties so idle processes spread too. */
    static final class LeastLoaded implements PlacementPolicy {
        @Override
        public Choice choose(List<Candidate> fits, Policy policy) {
            Candidate best = fits.stream().min(Comparator.comparingDouble(LeastLoaded::score)).orElseThrow();
            return new Choice(best, "least load per core: " + PlacementPolicy.figures(fits, c -> Candidate.fmt(c.loadPerCore())));
        }

        private static double score(Candidate c) {
            return (c.load() + c.processCount() * 0.01) / c.cpuCapacity();
        }
    }

    /** The next node by name after the one this replica chose last; nodes that join or leave simply take their turn. */
    static final class RoundRobin implements PlacementPolicy {
        private String last = "";

        @Override
        public synchronized Choice choose(List<Candidate> fits, Policy policy) {
            Candidate next = fits.stream().filter(c -> c.name().compareTo(last) > 0).findFirst().orElse(fits.get(0));
            last = next.name();
            return new Choice(next, "next in turn after " + fits.size() + " candidate(s)");
        }
    }

    /** Most free memory, among nodes that keep at least the policy's minimum free. */
    static final class MemoryAware implements PlacementPolicy {
        @Override
        public Choice choose(List<Candidate> fits, Policy policy) {
            String figures = PlacementPolicy.figures(fits, c -> mib(c.memoryFreeBytes()));
            Candidate best = fits.stream().filter(c -> c.memoryFreeBytes() >= policy.minFreeMemoryBytes())
                    .max(Comparator.comparingLong(Candidate::memoryFreeBytes))
                    .orElseThrow(() -> UnumException.nodeUnavailable("no node has the " + mib(policy.minFreeMemoryBytes())
                            + " of free memory that the memory-aware policy requires (" + figures + ")"));
            return new Choice(best, "most free memory: " + figures);
        }
    }

    /** Fewest processes; load per core breaks ties. */
    static final class Spread implements PlacementPolicy {
        @Override
        public Choice choose(List<Candidate> fits, Policy policy) {
            Candidate best = fits.stream().min(Comparator.comparingInt(Candidate::processCount)
                    .thenComparingDouble(Candidate::loadPerCore)).orElseThrow();
            return new Choice(best, "fewest processes: " + PlacementPolicy.figures(fits, c -> Integer.toString(c.processCount())));
        }
    }

    /**
     * Most processes among the nodes with an idle core left (load per core below 1), so that
     * work is packed onto few nodes; when every node is busy, the least loaded.
     */
    static final class Binpack implements PlacementPolicy {
        @Override
        public Choice choose(List<Candidate> fits, Policy policy) {
            String figures = PlacementPolicy.figures(fits, c -> c.processCount() + " procs/" + Candidate.fmt(c.loadPerCore()));
            return fits.stream().filter(c -> c.loadPerCore() < 1)
                    .max(Comparator.comparingInt(Candidate::processCount).thenComparing(Candidate::name, Comparator.reverseOrder()))
                    .map(c -> new Choice(c, "fullest node with room: " + figures))
                    .orElseGet(() -> new Choice(fits.stream().min(Comparator.comparingDouble(Candidate::loadPerCore)).orElseThrow(),
                            "every node busy, least loaded: " + figures));
        }
    }

    static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
