package io.unum.cli;

import io.unum.api.fs.FsPath;
import io.unum.api.model.FsDirectoryRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum fs mkdir}: makes a directory of the tree. */
@Command(name = "mkdir",
        description = "Make a directory (mode 0755 unless --mode; it inherits its parent's replica goal).",
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs mkdir /data",
            "  unum fs mkdir -p /unum/fs/data/2026/12",
            "  unum fs mkdir --mode 1777 /shared   # like /tmp: programs run as users of their own"
        })
class FsMkdirCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "PATH", converter = FsPathArgument.class, description = "the directory")
    FsPath path;

    @Option(names = {"-p", "--parents"}, description = "make missing parents too; an existing directory is no error")
    boolean parents;

    @Option(names = "--mode", paramLabel = "MODE", description = "permission bits in octal (default 0755)")
    String mode;

    @Override
    protected int run() {
        if (mode != null && !mode.matches("[0-7]{3,4}")) {
            throw usage("--mode must be octal permission bits such as 0755 or 1777, not '" + mode + "'");
        }
        client().fsMkdir(path, new FsDirectoryRequest(mode == null || mode.length() == 4 ? mode : "0" + mode, parents, null));
        return 0;
    }
}
