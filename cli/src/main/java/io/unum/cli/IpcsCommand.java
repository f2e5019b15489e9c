package io.unum.cli;

import io.unum.api.model.ShmAttachmentInfo;
import io.unum.api.model.ShmNodePagesInfo;
import io.unum.api.model.ShmSegmentInfo;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum ipcs}: the cluster's shared memory segments, as ipcs -m shows a machine's. */
@Command(name = "ipcs",
        description = "List the cluster-wide shared memory segments (System V keys and POSIX names); with an id, "
                + "what each node holds of one segment.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum ipcs            ID KEY/NAME SIZE MODE STATE HOME CREATOR ATTACHED",
            "  unum ipcs 3          one segment: its processes and, per node, pages held, faults and pages moved",
            "  unum ipcs --json"
        })
class IpcsCommand extends ClientCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "a segment id (from the list)")
    Integer id;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    protected int run() {
        var client = client();
        if (id == null) {
            List<ShmSegmentInfo> segments = client.shmSegments();
            out().print(json ? NodesCommand.toJson(segments) + "\n" : table(segments));
        } else {
            ShmSegmentInfo s = client.shmSegment(id);
            out().print(json ? NodesCommand.toJson(s) + "\n" : detail(s));
        }
        out().flush();
        return 0;
    }

    static String table(List<ShmSegmentInfo> segments) {
        Table t = new Table("ID>", "KEY/NAME", "SIZE>", "MODE", "STATE", "HOME", "CREATOR>", "ATTACHED");
        for (ShmSegmentInfo s : segments) {
            t.add(Integer.toString(s.id()), name(s), Format.bytes(s.sizeBytes()), String.format("%03o", s.mode()),
                    s.state().name(), s.homeNode(), Integer.toString(s.creatorGpid()), attached(s.attachments()));
        }
        return t.render();
    }

    static String detail(ShmSegmentInfo s) {
        StringBuilder b = new StringBuilder();
        b.append(table(List.of(s)));
        if (s.lostReason() != null) {
            b.append("\nlost ").append(s.lostPages()).append(" pages: ").append(s.lostReason()).append('\n');
        }
        if (s.pages() != null && !s.pages().isEmpty()) {
            Table t = new Table("NODE", "RESIDENT>", "WRITABLE>", "READ FAULTS>", "WRITE FAULTS>", "PAGES IN>", "PAGES OUT>",
                    "INVALIDATED>", "ERROR");
            for (ShmNodePagesInfo p : s.pages()) {
                t.add(p.node(), Long.toString(p.residentPages()), Long.toString(p.writablePages()), Long.toString(p.readFaults()),
                        Long.toString(p.writeFaults()), Long.toString(p.pagesReceived()), Long.toString(p.pagesSent()),
                        Long.toString(p.invalidations()), Format.orDash(p.error()));
            }
            b.append('\n').append(t.render());
        }
        return b.toString();
    }

    private static String name(ShmSegmentInfo s) {
        if (s.name() != null) {
            return s.name();
        }
        return s.key() == null || s.key() == 0 ? "IPC_PRIVATE" : String.format("0x%08x", s.key());
    }

    private static String attached(List<ShmAttachmentInfo> attachments) {
        if (attachments.isEmpty()) {
            return "-";
        }
        return attachments.stream().map(a -> a.gpid() + "@" + a.node()).distinct().collect(Collectors.joining(","));
    }
}
