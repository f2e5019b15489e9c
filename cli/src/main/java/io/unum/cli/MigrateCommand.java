package io.unum.cli;

import io.unum.api.model.MigrationInfo;
import io.unum.client.EventStream;
import io.unum.api.model.MigrationMode;
import io.unum.api.model.MigrationState;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum migrate}: live migration with a progress line. */
@Command(name = "migrate",
        description = {
            "Move a running process to another node, live: it keeps its gpid, its capabilities,",
            "its open files and its output stream. It needs CAN_MIGRATE in its effective set.",
            "Shows the steps on stderr (dumping, transferring N MiB, restoring) and prints how",
            "long the process was frozen."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum migrate 42 node-2       move process 42 to node-2",
            "  unum migrate --post-copy 42 node-2   the same, its memory following after it resumed",
            "  unum migrate --detach 42 n3  start the move and print its id only"
        })
class MigrateCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "GPID", description = "the process")
    int gpid;

    @Parameters(index = "1", paramLabel = "NODE", description = "the node to move it to")
    String node;

    @Option(names = "--detach", description = "do not wait: print the migration id and return")
    boolean detach;

    @Option(names = "--post-copy", description = "resume the process on NODE before its memory arrived (its pages "
            + "follow on demand): a freeze that hardly grows with memory size")
    boolean postCopy;

    @Option(names = "--stop-and-copy", description = "copy all memory while the process is frozen. Without either "
            + "option the control plane chooses by resident size (unum.migration.post-copy-above)")
    boolean stopAndCopy;

    @Override
    protected int run() {
        if (postCopy && stopAndCopy) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "choose one of --post-copy and --stop-and-copy");
        }
        MigrationMode mode = postCopy ? MigrationMode.POST_COPY : stopAndCopy ? MigrationMode.STOP_AND_COPY : null;
        MigrationInfo started = client().migrate(gpid, node, mode);
        if (detach) {
            out().println(started.id());
            out().flush();
            return 0;
        }
        ProgressBar progress = new ProgressBar(err());
        MigrationInfo[] last = {started};
        try (EventStream<MigrationInfo> events = client().migrationEvents(started.id())) {
            events.forEach(m -> {
                last[0] = m;
                switch (m.state()) {
                    case TRANSFERRING -> progress.bar("transferring", orZero(m.bytesTransferred()), orZero(m.imageBytes()));
                    case PREPARING, DUMPING, RESTORING -> progress.spin(m.state().name().toLowerCase(Locale.ROOT));
                    default -> { }
                }
            });
        }
        progress.done();
        MigrationInfo end = last[0];
        if (end.state() != MigrationState.DONE) {
            return fail("migration " + end.id() + " of process " + gpid + " " + end.state()
                    + (end.reason() == null ? "" : ": " + end.reason()));
        }
        out().printf(Locale.ROOT, "process %d runs on %s (migration %s, %s): frozen %d ms (dump %s ms, image %s sent in %s ms, "
                        + "restore %s ms), total %d ms (%s ms before the freeze, %s ms after it)%n",
                gpid, end.target(), end.id(), end.mode() == MigrationMode.POST_COPY ? "post-copy" : "stop-and-copy",
                orZero(end.freezeMillis()), orDash(end.dumpMillis()), Format.bytes(end.imageBytes()),
                orDash(end.transferMillis()), orDash(end.restoreMillis()), orZero(end.totalMillis()),
                orDash(end.preFreezeMillis()), orDash(end.postResumeMillis()));
        out().flush();
        return 0;
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }

    private static String orDash(Long v) {
        return v == null ? "-" : Long.toString(v);
    }
}
