package io.unum.cli;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum ps}: the cluster-wide process table. */
@Command(name = "ps",
        description = {
            "List the processes of the cluster, sorted by gpid.",
            "By default only live ones (RUNNING, PENDING, LOST); -a adds ended ones",
            "(EXITED, FAILED) with their exit status."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum ps                      live processes",
            "  unum ps -a --node n2         everything that ran on n2, with exit statuses",
            "  unum ps --state EXITED       only ended processes",
            "  unum ps --json | jq '.[].gpid'"
        })
class PsCommand extends ClientCommand {

    @Option(names = "--json", description = "print the processes as a JSON array")
    boolean json;

    @Option(names = "--node", paramLabel = "NODE", description = "only processes on this node")
    String node;

    @Option(names = "--state", paramLabel = "STATE",
            description = "only processes in this state: PENDING RUNNING EXITED FAILED LOST")
    String state;

    @Option(names = "--user", paramLabel = "USER", description = "only processes of this Unix user")
    String user;

    @Option(names = {"-a", "--all"}, description = "include ended processes (EXITED, FAILED)")
    boolean all;

    @Override
    protected int run() {
        String stateFilter = state == null ? null : state.trim().toUpperCase(Locale.ROOT);
        List<ProcessInfo> processes = client().processes(node, stateFilter, user).stream()
                .filter(p -> all || stateFilter != null || isLive(p))
                .toList();
        if (json) {
            out().println(NodesCommand.toJson(processes));
        } else {
            out().print(table(processes, Instant.now(), ZoneId.systemDefault(), columns()));
        }
        out().flush();
        return 0;
    }

    static boolean isLive(ProcessInfo p) {
        return p.state() == null || !p.state().isTerminal();
    }

    /** The ps table; COMMAND is cut so that no line is wider than {@code columns}. */
    static String table(List<ProcessInfo> processes, Instant now, ZoneId zone, int columns) {
        Table t = new Table("GPID>", "NODE", "PID>", "STATE", "USER", "%CPU>", "RSS>", "START", "COMMAND");
        for (ProcessInfo p : processes) {
            boolean running = p.state() == ProcessState.RUNNING;
            t.add(Integer.toString(p.gpid()),
                    Format.orDash(p.node()),
                    p.localPid() > 0 ? Integer.toString(p.localPid()) : "-",
                    Format.state(p),
                    Format.orDash(p.user()),
                    running ? Format.decimal(p.cpuPercent(), 1) : "-",
                    running ? Format.bytes(p.rssBytes()) : "-",
                    Format.start(p.startedAt() != null ? p.startedAt() : p.createdAt(), now, zone),
                    Format.command(p.argv()));
        }
        return t.render(columns);
    }
}
