package io.unum.cli;

import io.unum.api.fs.FsPath;
import io.unum.api.fs.InvalidFsPathException;
import io.unum.api.model.FsEntryInfo;
import io.unum.client.FsPutOptions;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum fs put}: uploads a local file into the tree, streamed, with a progress bar. */
@Command(name = "put",
        description = {
            "Upload a local file into the cluster file system.",
            "It is streamed (any size); the command returns once every chunk has its",
            "quorum of replicas on disk. A PATH ending in / is a directory to put the file",
            "in under its own name."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs put results.csv /data/results.csv",
            "  unum fs put --parents --replicas 3 model.bin /models/v2/",
            "  unum fs put --no-overwrite --mode 0600 key.pem /secrets/key.pem"
        })
class FsPutCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "LOCAL", description = "the local file")
    Path local;

    @Parameters(index = "1", paramLabel = "PATH", description = "where in the tree; ending in /: the directory to put it in")
    String target;

    @Option(names = "--replicas", paramLabel = "N", description = "the file's goal, 1 to 9 (default: its directory's)")
    Integer replicas;

    @Option(names = "--mode", paramLabel = "MODE", description = "permission bits in octal (default 0644)")
    String mode;

    @Option(names = {"-p", "--parents"}, description = "make missing directories")
    boolean parents;

    @Option(names = "--no-overwrite", description = "fail if PATH exists instead of replacing it")
    boolean noOverwrite;

    @Override
    protected int run() {
        FsPath path = path();
        if (replicas != null && (replicas < 1 || replicas > 9)) {
            throw usage("--replicas must be 1 to 9, not " + replicas);
        }
        if (mode != null && !mode.matches("0?[0-7]{3}")) {
            throw usage("--mode must be octal permission bits such as 0644, not '" + mode + "'");
        }
        if (!Files.isRegularFile(local)) {
            return fail(local + ": " + (Files.isDirectory(local) ? "is a directory" : "no such file"));
        }
        ProgressBar progress = new ProgressBar(err());
        FsEntryInfo e;
        try {
            String octal = mode == null || mode.length() == 4 ? mode : "0" + mode;
            e = client().fsUpload(path, local, new FsPutOptions(octal, replicas, parents, !noOverwrite),
                    progress.transfer("uploading"));
        } catch (UncheckedIOException ex) {
            return fail(ex.getMessage());
        } finally {
            progress.done();
        }
        out().println("wrote " + e.path() + ": " + Format.bytes(e.sizeBytes()) + ", goal " + e.replicas()
                + (e.underReplicatedChunks() > 0 ? "; " + e.underReplicatedChunks()
                        + " chunk(s) below the goal until the repair copies them (unum fs stat " + e.path() + ")" : ""));
        out().flush();
        return 0;
    }

    private FsPath path() {
        try {
            FsPath p = FsPathArgument.parse(target);
            return target.endsWith("/") ? p.child(local.getFileName().toString()) : p;
        } catch (InvalidFsPathException e) {
            throw usage("Invalid value for positional parameter at index 1 (PATH): " + e.getMessage());
        }
    }
}
