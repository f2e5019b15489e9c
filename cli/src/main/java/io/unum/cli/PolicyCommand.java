package io.unum.cli;

import io.unum.api.model.SchedulerNode;
import io.unum.api.model.SchedulerPolicy;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum policy}: the scheduling policy in force and the nodes as the scheduler sees them. */
@Command(name = "policy",
        subcommands = PolicySetCommand.class,
        description = {
            "Show the placement and balancing policies in force, with their parameters, and the",
            "nodes as the scheduler sees them (capacity, labels, load per core, free memory).",
            "Change them with 'unum policy set'; every control plane applies a change within a second."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum policy",
            "  unum policy set --balancing mosix --threshold 0.5 --min-interval 20",
            "  unum policy --json | jq .policy.placement"
        })
class PolicyCommand extends ClientCommand {

    @Option(names = "--json", description = "print {\"policy\": ..., \"nodes\": [...]} as JSON")
    boolean json;

    @Override
    protected int run() {
        var client = client();
        SchedulerPolicy policy = client.policy();
        List<SchedulerNode> nodes = client.schedulerNodes();
        if (json) {
            out().println(NodesCommand.toJson(Map.of("policy", policy, "nodes", nodes)));
        } else {
            out().print(describe(policy));
            out().println();
            out().print(table(nodes));
        }
        return 0;
    }

    static String describe(SchedulerPolicy p) {
        StringBuilder s = new StringBuilder();
        s.append("placement       ").append(p.placement()).append('\n');
        s.append("balancing       ").append(p.balancing()).append('\n');
        s.append("load threshold  ").append(Format.decimal(p.loadThreshold(), 2)).append(" (load per core above the cluster's)\n");
        s.append("min free memory ").append(Format.bytes(p.minFreeMemoryBytes())).append('\n');
        s.append("min interval    ").append(Format.decimal(p.minIntervalSeconds(), 1)).append(" s between two moves of a process\n");
        s.append("probe period    ").append(Format.decimal(p.probePeriodSeconds(), 1)).append(" s\n");
        if (p.updatedAt() != null) {
            s.append("changed         ").append(p.updatedAt()).append(" by ").append(p.updatedBy()).append('\n');
        }
        return s.toString();
    }

    static String table(List<SchedulerNode> nodes) {
        Table t = new Table("NODE", "STATE", "CPUS>", "LOAD>", "LOAD/CORE>", "FREE>", "PROCS>", "ENFORCED", "LABELS");
        for (SchedulerNode n : nodes) {
            Map<String, String> labels = new TreeMap<>(n.labels() == null ? Map.of() : n.labels());
            t.add(n.name(), n.state() == null ? "-" : n.state().name(), Format.decimal(n.cpuCapacity(), 2),
                    Format.decimal(n.load(), 2), Format.decimal(n.loadPerCore(), 2), Format.bytes(n.memoryFreeBytes()),
                    Integer.toString(n.processCount()), n.enforcement(),
                    labels.isEmpty() ? "-" : labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                            .collect(Collectors.joining(",")));
        }
        return t.render();
    }
}
