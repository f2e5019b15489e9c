package io.unum.cli;

import io.unum.api.model.SchedulerPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum policy set}: change the scheduling policy while the cluster runs. */
@Command(name = "set",
        description = {
            "Change the placement and/or balancing policy and their parameters.",
            "Options left out keep their current values. Needs the admin role.",
            "Placement: round-robin, least-loaded, memory-aware, spread, binpack.",
            "Balancing: none, mosix, memory-ushering."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum policy set --placement binpack",
            "  unum policy set --balancing mosix --threshold 0.5 --min-interval 20 --probe-period 2",
            "  unum policy set --placement memory-aware --min-free 512M",
            "  unum policy set --balancing none        stop moving processes"
        })
class PolicySetCommand extends ClientCommand {

    @Option(names = "--placement", paramLabel = "POLICY", description = "where new processes go")
    String placement;

    @Option(names = "--balancing", paramLabel = "POLICY", description = "what moves running CAN_MIGRATE processes")
    String balancing;

    @Option(names = "--threshold", paramLabel = "LOAD",
            description = "mosix: load per core above the cluster's that makes a node overloaded")
    Double threshold;

    @Option(names = "--min-free", paramLabel = "BYTES",
            description = "memory-aware / memory-ushering: free memory a node must keep (e.g. 512M, 2G)")
    String minFree;

    @Option(names = "--min-interval", paramLabel = "SECONDS", description = "shortest time between two moves of one process")
    Double minInterval;

    @Option(names = "--probe-period", paramLabel = "SECONDS", description = "how often the balancer looks at the nodes")
    Double probePeriod;

    @Override
    protected int run() {
        if (placement == null && balancing == null && threshold == null && minFree == null && minInterval == null
                && probePeriod == null) {
            throw usage("nothing to change: give at least one option, e.g. --balancing mosix");
        }
        var client = client();
        SchedulerPolicy current = client.policy();
        SchedulerPolicy wanted = new SchedulerPolicy(
                placement != null ? placement : current.placement(),
                balancing != null ? balancing : current.balancing(),
                threshold != null ? threshold : current.loadThreshold(),
                minFree != null ? bytes(minFree) : current.minFreeMemoryBytes(),
                minInterval != null ? minInterval : current.minIntervalSeconds(),
                probePeriod != null ? probePeriod : current.probePeriodSeconds(), null, null);
        out().print(PolicyCommand.describe(client.setPolicy(wanted)));
        return 0;
    }

    private long bytes(String s) {
        String t = s.trim().toUpperCase(java.util.Locale.ROOT);
        int shift = t.endsWith("K") ? 10 : t.endsWith("M") ? 20 : t.endsWith("G") ? 30 : 0;
        try {
            return Long.parseLong(shift == 0 ? t : t.substring(0, t.length() - 1)) << shift;
        } catch (NumberFormatException e) {
            throw usage("--min-free '" + s + "': expected bytes, or a number with K, M or G");
        }
    }
}
