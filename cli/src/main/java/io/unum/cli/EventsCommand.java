package io.unum.cli;

import io.unum.api.model.SchedulerEvent;
import io.unum.client.EventStream;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum events}: the scheduler's decisions with their reasons. */
@Command(name = "events",
        description = {
            "Print the scheduler's recent decisions (kept for a few minutes): placements, migrations",
            "the balancer made or tried, policy changes, each with its reason.",
            "With -f, keep printing new ones as any control plane makes them."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum events                       TIME TYPE GPID FROM TO POLICY REASON",
            "  unum events -f                    follow until Ctrl-C",
            "  unum events -f --json | jq -c 'select(.type==\"MIGRATED\")'"
        })
class EventsCommand extends ClientCommand {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    @Option(names = {"-f", "--follow"}, description = "keep printing new decisions until Ctrl-C")
    boolean follow;

    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    @Override
    protected int run() {
        try (EventStream<SchedulerEvent> events = client().schedulerEvents(follow)) {
            events.forEach(e -> {
                out().println(json ? NodesCommand.toJson(e).replaceAll("\\s*\\n\\s*", " ") : line(e));
                out().flush();
            });
        }
        return 0;
    }

    static String line(SchedulerEvent e) {
        return String.format("%s %-17s %6s %-10s %-10s %-14s %s", TIME.format(e.at()), e.type(),
                e.gpid() == null ? "-" : e.gpid(), orDash(e.fromNode()), orDash(e.toNode()), orDash(e.policy()),
                orDash(e.reason()));
    }

    private static String orDash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }
}
