package io.unum.cli;

import io.unum.api.fs.FsPath;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsEntryType;
import io.unum.client.UnumApiException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum fs ls}: a directory of the cluster file system, or one file, as ls shows them. */
@Command(name = "ls",
        description = "List a directory of the cluster file system (a file: that file).",
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs ls /data                names, one a line",
            "  unum fs ls -l /unum/fs/data     MODE GOAL UID GID SIZE MODIFIED NAME",
            "  unum fs ls --json /data | jq -r '.entries[].name'"
        })
class FsLsCommand extends ClientCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATH", defaultValue = "/", converter = FsPathArgument.class,
            description = "a directory or file (default: the root)")
    FsPath path;

    @Option(names = "-l", description = "long listing: mode, goal, owner, size, modification time")
    boolean longListing;

    @Option(names = "--json", description = "print the listing as JSON ({\"directory\": ..., \"entries\": [...]})")
    boolean json;

    @Override
    protected int run() {
        var client = client();
        List<FsEntryInfo> entries;
        Object asJson;
        try {
            var listing = client.fsList(path);
            entries = listing.entries();
            asJson = listing;
        } catch (UnumApiException e) {
            if (e.kind() != UnumApiException.Kind.CONFLICT) {
                throw e;
            }
            // Not a directory: show the entry itself, as ls does for a file.
            FsEntryInfo file = client.fsStat(path);
            entries = List.of(file);
            asJson = file;
        }
        if (json) {
            out().println(NodesCommand.toJson(asJson));
        } else if (longListing) {
            out().print(table(entries, Instant.now(), ZoneId.systemDefault()));
        } else {
            entries.forEach(e -> out().println(e.name()));
        }
        out().flush();
        return 0;
    }

    static String table(List<FsEntryInfo> entries, Instant now, ZoneId zone) {
        Table t = new Table("MODE", "GOAL>", "UID>", "GID>", "SIZE>", "MODIFIED", "NAME");
        for (FsEntryInfo e : entries) {
            t.add(permissions(e), Integer.toString(e.replicas()), Integer.toString(e.uid()), Integer.toString(e.gid()),
                    Format.bytes(e.sizeBytes()), Format.start(e.modifiedAt(), now, zone),
                    e.type() == FsEntryType.SYMLINK ? e.name() + " -> " + e.symlinkTarget() : e.name());
        }
        return t.render();
    }

    /** "drwxr-xr-x" from the type and the octal mode ("0755"). */
    static String permissions(FsEntryInfo e) {
        char type = switch (e.type()) {
            case DIRECTORY -> 'd';
            case SYMLINK -> 'l';
            case FILE -> '-';
        };
        int bits = Integer.parseInt(e.mode(), 8);
        StringBuilder s = new StringBuilder().append(type);
        String rwx = "rwx";
        for (int shift = 8; shift >= 0; shift--) {
            s.append((bits & (1 << shift)) != 0 ? rwx.charAt(2 - shift % 3) : '-');
        }
        return s.toString();
    }
}
