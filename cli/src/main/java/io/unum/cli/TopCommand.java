package io.unum.cli;

import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.client.UnumClient;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum top}: cluster totals and the busiest processes, redrawn periodically. */
@Command(name = "top",
        description = {
            "Show cluster totals and the busiest processes, redrawn until Ctrl-C.",
            "The header counts nodes (ready/down) and processes, and sums the load,",
            "cores and memory of the ready nodes; below it the live processes,",
            "sorted by %%CPU."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum top                 redraw every 2 s",
            "  unum top -d 0.5          redraw twice a second",
            "  unum top -n 1            draw once and exit (for scripts)"
        })
class TopCommand extends ClientCommand {

    @Option(names = {"-d", "--delay"}, paramLabel = "SECONDS", defaultValue = "2",
            description = "seconds between redraws (default: ${DEFAULT-VALUE})")
    double delaySeconds;

    @Option(names = {"-n", "--iterations"}, paramLabel = "N", defaultValue = "0",
            description = "exit after N redraws (default: until Ctrl-C)")
    int iterations;

    @Override
    protected int run() {
        if (delaySeconds < 0 || Double.isNaN(delaySeconds)) {
            throw usage("-d must be zero or more seconds");
        }
        if (iterations < 0) {
            throw usage("-n must be zero or more");
        }
        UnumClient client = client();
        for (int i = 1; ; i++) {
            List<NodeInfo> nodes = client.nodes();
            List<ProcessInfo> processes = client.processes(null, null, null);
            out().print(CLEAR_SCREEN);
            out().print(frame(nodes, processes, Instant.now(), ZoneId.systemDefault(), columns()));
            out().flush();
            if (iterations > 0 && i >= iterations) {
                return 0;
            }
            if (!pause(Math.round(delaySeconds * 1000))) {
                return 0;
            }
        }
    }

    /** One screen: the header lines, a blank line, the process table. */
    static String frame(List<NodeInfo> nodes, List<ProcessInfo> processes, Instant now, ZoneId zone, int columns) {
        long ready = nodes.stream().filter(n -> n.state() == NodeState.READY).count();
        long down = nodes.size() - ready;
        int cores = 0;
        long memory = 0;
        long free = 0;
        double load = 0;
        double cpu = 0;
        for (NodeInfo n : nodes) {
            if (n.state() != NodeState.READY) {
                continue;
            }
            cores += n.cores();
            memory += n.memoryBytes();
            if (n.load() != null) {
                load += n.load().load1();
                free += n.load().memoryFreeBytes();
                cpu += n.load().cpuPercent() * n.cores();
            }
        }
        long running = count(processes, ProcessState.RUNNING);
        long pending = count(processes, ProcessState.PENDING);
        long lost = count(processes, ProcessState.LOST);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "unum top - %s  nodes: %d ready, %d down  load: %.2f%n",
                DateTimeFormatter.ofPattern("HH:mm:ss").format(now.atZone(zone)), ready, down, load));
        sb.append(String.format(Locale.ROOT, "processes: %d running, %d pending, %d lost%n", running, pending, lost));
        sb.append(String.format(Locale.ROOT, "cpu: %d cores, %.1f%% busy  memory: %s total, %s free%n",
                cores, cores == 0 ? 0.0 : cpu / cores, Format.bytes(memory), Format.bytes(free)));
        sb.append('\n');
        List<ProcessInfo> live = processes.stream()
                .filter(PsCommand::isLive)
                .sorted(Comparator.comparing((ProcessInfo p) -> p.cpuPercent() == null ? -1.0 : p.cpuPercent())
                        .reversed()
                        .thenComparingInt(ProcessInfo::gpid))
                .toList();
        sb.append(PsCommand.table(live, now, zone, columns));
        return sb.toString();
    }

    private static long count(List<ProcessInfo> processes, ProcessState state) {
        return processes.stream().filter(p -> p.state() == state).count();
    }
}
