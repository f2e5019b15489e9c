package io.unum.cli;

import io.unum.api.fs.FsPath;
import io.unum.api.model.FsChunkInfo;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsEntryType;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum fs stat}: one entry, its chunks and where each replica is. */
@Command(name = "stat",
        description = {
            "Show an entry: its chunks, where each replica is, and their health.",
            "Type, size, mode, owner and replica goal; for a file each chunk (index, block,",
            "length, CRC-32C) with its replicas as node:state (HEALTHY: its node is READY).",
            "The health line counts chunks below their goal and chunks with no healthy",
            "replica (unreadable until a node comes back)."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs stat /data/a.txt",
            "  unum fs stat --json /unum/fs/data/a.txt | jq '.chunks[].replicas'"
        })
class FsStatCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "PATH", converter = FsPathArgument.class, description = "the entry")
    FsPath path;

    @Option(names = "--json", description = "print the entry as JSON")
    boolean json;

    @Override
    protected int run() {
        FsEntryInfo e = client().fsStat(path);
        out().print(json ? NodesCommand.toJson(e) + "\n" : describe(e));
        out().flush();
        return 0;
    }

    static String describe(FsEntryInfo e) {
        StringBuilder s = new StringBuilder();
        s.append("path      ").append(e.path()).append('\n');
        s.append("type      ").append(e.type()).append(e.type() == FsEntryType.SYMLINK ? " -> " + e.symlinkTarget() : "")
                .append('\n');
        s.append("size      ").append(Format.bytes(e.sizeBytes())).append(" (").append(e.sizeBytes()).append(" bytes)\n");
        s.append("mode      ").append(e.mode()).append(" (").append(FsLsCommand.permissions(e)).append(")\n");
        s.append("owner     uid ").append(e.uid()).append(", gid ").append(e.gid()).append('\n');
        s.append("goal      ").append(e.replicas()).append(e.replicas() == 1 ? " replica" : " replicas")
                .append(e.type() == FsEntryType.DIRECTORY ? " (inherited by what is created below it)" : "").append('\n');
        s.append("inode     ").append(e.inode()).append(", ").append(e.links()).append(e.links() == 1 ? " link" : " links")
                .append('\n');
        s.append("modified  ").append(e.modifiedAt()).append('\n');
        s.append("changed   ").append(e.changedAt()).append('\n');
        List<FsChunkInfo> chunks = e.chunks() == null ? List.of() : e.chunks();
        if (e.type() == FsEntryType.FILE) {
            s.append("health    ").append(chunks.size()).append(chunks.size() == 1 ? " chunk: " : " chunks: ")
                    .append(e.underReplicatedChunks()).append(" under-replicated, ")
                    .append(e.unavailableChunks()).append(" unavailable\n");
        }
        if (!chunks.isEmpty()) {
            Table t = new Table("INDEX>", "BLOCK", "LENGTH>", "CRC32C", "REPLICAS");
            for (FsChunkInfo c : chunks) {
                t.add(Long.toString(c.index()), c.blockId(), Format.bytes(c.lengthBytes()), c.crc32c(),
                        c.replicas().isEmpty() ? "-" : c.replicas().stream().map(r -> r.node() + ":" + r.state())
                                .collect(Collectors.joining(" ")));
            }
            s.append('\n').append(t.render());
        }
        return s.toString();
    }
}
