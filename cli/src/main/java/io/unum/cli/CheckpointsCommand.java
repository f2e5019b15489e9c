package io.unum.cli;

import io.unum.api.model.CheckpointInfo;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code unum checkpoints}: the checkpoints of the cluster. */
@Command(name = "checkpoints",
        description = "List checkpoints, newest first: id, gpid, node that stores the image, size, when, command.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum checkpoints",
            "  unum checkpoints --gpid 42 --json"
        })
class CheckpointsCommand extends ClientCommand {

    @Option(names = "--gpid", paramLabel = "GPID", description = "only checkpoints of this process")
    Integer gpid;

    @Option(names = "--json", description = "print them as a JSON array")
    boolean json;

    @Override
    protected int run() {
        List<CheckpointInfo> list = client().checkpoints(gpid);
        if (json) {
            out().println(NodesCommand.toJson(list));
        } else {
            Instant now = Instant.now();
            Table t = new Table("ID", "GPID>", "NODE", "COPY", "SIZE>", "FROZEN>", "TAKEN", "COMMAND");
            for (CheckpointInfo c : list) {
                t.add(c.id(), Integer.toString(c.gpid()), c.node(), c.treePath() != null ? "fs" : "-", Format.bytes(c.imageBytes()), c.dumpMillis() + "ms",
                        Format.start(c.createdAt(), now, ZoneId.systemDefault()),
                        c.process() == null ? "-" : Format.command(c.process().argv()));
            }
            out().print(t.render(columns()));
        }
        out().flush();
        return 0;
    }
}
