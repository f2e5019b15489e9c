package io.unum.cli;

import io.unum.api.model.ShmSegmentInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code unum ipcrm}: removes a segment; like ipcrm -m, it goes when its last process detaches. */
@Command(name = "ipcrm",
        description = "Remove a cluster-wide shared memory segment: its key or name is free at once, and the segment "
                + "is destroyed when its last process detaches. Needs an admin token.",
        footerHeading = "%nExamples:%n",
        footer = {"  unum ipcrm 3"})
class IpcrmCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "ID", description = "the segment id (unum ipcs lists them)")
    int id;

    @Override
    protected int run() {
        ShmSegmentInfo s = client().removeShmSegment(id);
        out().println("segment " + s.id() + " " + (s.attachments().isEmpty() ? "destroyed"
                : "removed; destroyed when its " + s.attachments().size() + " attachment(s) detach"));
        out().flush();
        return 0;
    }
}
