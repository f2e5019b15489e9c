package io.unum.cli;

import io.unum.api.model.FsNodeUsageInfo;
import io.unum.api.model.FsRepairInfo;
import io.unum.api.model.FsUsage;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum fs df}: each node's storage, and how far the repair is. */
@Command(name = "df",
        description = {
            "Show each node's storage and the repair's progress.",
            "Per node, as its agent last reported it: capacity, used, free, blocks, state.",
            "Then the leader's repair: chunks below their goal, chunks with no healthy",
            "replica, copies made and in flight."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs df",
            "  unum fs df --json | jq .repair.underReplicatedChunks"
        })
class FsDfCommand extends ClientCommand {

    @Option(names = "--json", description = "print {\"nodes\": [...], \"repair\": ...} as JSON")
    boolean json;

    @Override
    protected int run() {
        FsUsage usage = client().fsUsage();
        out().print(json ? NodesCommand.toJson(usage) + "\n" : render(usage, Instant.now(), ZoneId.systemDefault()));
        out().flush();
        return 0;
    }

    static String render(FsUsage usage, Instant now, ZoneId zone) {
        Table t = new Table("NODE", "STATE", "CAPACITY>", "USED>", "FREE>", "USE%>", "BLOCKS>", "REPORTED");
        for (FsNodeUsageInfo n : usage.nodes()) {
            boolean reported = n.reportedAt() != null;
            t.add(n.node(), n.nodeState() == null ? "-" : n.nodeState().name(),
                    reported ? Format.bytes(n.capacityBytes()) : "-", reported ? Format.bytes(n.usedBytes()) : "-",
                    reported ? Format.bytes(n.freeBytes()) : "-",
                    reported && n.capacityBytes() > 0
                            ? String.format(Locale.ROOT, "%.0f%%", 100.0 * (n.capacityBytes() - n.freeBytes()) / n.capacityBytes())
                            : "-",
                    reported ? Long.toString(n.blocks()) : "-", reported ? Format.start(n.reportedAt(), now, zone) : "never");
        }
        return t.render() + "\n" + repair(usage.repair(), now, zone) + "\n";
    }

    /** "repair: 1024 chunks, 3 under-replicated, 0 unavailable; 17 replicas repaired, 2 in flight; last scan 12:00:01". */
    static String repair(FsRepairInfo r, Instant now, ZoneId zone) {
        return "repair: " + r.chunks() + (r.chunks() == 1 ? " chunk, " : " chunks, ") + r.underReplicatedChunks()
                + " under-replicated, " + r.unavailableChunks() + " unavailable; " + r.replicasRepaired()
                + " replicas repaired, " + r.repairsInFlight() + " in flight; last scan "
                + (r.lastScanAt() == null ? "not yet" : Format.start(r.lastScanAt(), now, zone))
                + " (default goal " + r.defaultReplicas() + ", chunks of " + Format.bytes(r.chunkSizeBytes()) + ")";
    }
}
