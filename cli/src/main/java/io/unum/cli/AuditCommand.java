package io.unum.cli;

import io.unum.api.model.AuditEntry;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum audit}: who spawned as root, signalled, changed capabilities or migrated. */
@Command(name = "audit",
        description = "Show the audit log: privileged spawns, signals, capability changes and migrations, "
                + "with who asked (admin token only).",
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum audit            TIME ACTOR ACTION GPID NODE USER WHAT",
            "  unum audit -n 1000    the newest 1000 entries",
            "  unum audit --json | jq '.[] | select(.user==\"root\")'"
        })
class AuditCommand extends ClientCommand {

    @Option(names = {"-n", "--limit"}, description = "how many of the newest entries (default ${DEFAULT-VALUE})")
    int limit = 100;

    @Option(names = "--json", description = "print the entries as a JSON array")
    boolean json;

    @Override
    protected int run() {
        List<AuditEntry> entries = client().audit(limit);
        if (json) {
            out().println(NodesCommand.toJson(entries));
        } else {
            out().print(table(entries));
        }
        out().flush();
        return 0;
    }

    static String table(List<AuditEntry> entries) {
        Table t = new Table("TIME", "ACTOR", "ACTION", "GPID>", "NODE", "USER", "WHAT");
        for (AuditEntry e : entries) {
            String what = e.argv() != null ? Format.command(e.argv())
                    : e.capabilities() != null ? e.capabilities() : Format.orDash(e.detail());
            t.add(e.at() == null ? "-" : e.at().toString(), Format.orDash(e.actor()), e.action().name(),
                    e.gpid() == null ? "-" : e.gpid().toString(), Format.orDash(e.node()), Format.orDash(e.user()), what);
        }
        return t.render();
    }
}
