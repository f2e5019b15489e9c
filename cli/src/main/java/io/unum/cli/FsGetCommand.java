package io.unum.cli;

import io.unum.api.fs.FsPath;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code unum fs get}: downloads a file of the tree, streamed, with a progress bar. */
@Command(name = "get",
        description = {
            "Download a file of the cluster file system.",
            "To LOCAL: a file, a directory (under the file's name), - for stdout, or when",
            "absent the file's name in the current directory. A local file is replaced",
            "only once the whole download arrived."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs get /data/results.csv",
            "  unum fs get /unum/fs/models/v2/model.bin /tmp/",
            "  unum fs get /data/logs.tar - | tar x"
        })
class FsGetCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "PATH", converter = FsPathArgument.class, description = "the file")
    FsPath path;

    @Parameters(index = "1", arity = "0..1", paramLabel = "LOCAL", description = "where to write it, or - for stdout")
    String local;

    @Override
    protected int run() {
        ProgressBar progress = new ProgressBar(err());
        try {
            if ("-".equals(local)) {
                OutputStream out = root.rawOut();
                client().fsDownload(path, out, progress.transfer("downloading"));
                out.flush();
            } else {
                client().fsDownload(path, destination(), progress.transfer("downloading"));
            }
        } catch (UncheckedIOException e) {
            // The local side's failures (a full disk) as well as the exchange's.
            return fail(e.getMessage());
        } catch (IOException e) {
            return fail("cannot write to stdout: " + e.getMessage());
        } finally {
            progress.done();
        }
        return 0;
    }

    private Path destination() {
        if (path.isRoot()) {
            throw usage("the root is a directory; name a file");
        }
        if (local == null) {
            return Path.of(path.name());
        }
        Path p = Path.of(local);
        return Files.isDirectory(p) ? p.resolve(path.name()) : p;
    }
}
