package io.unum.cli;

import io.unum.api.fs.FsPath;
import io.unum.api.model.FsDirectoryRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum fs mkdir}: makes a directory of the tree. */
@Command(name = "mkdir",
        description = "Make a directory (mode 0755; it inherits its parent's replica goal).",
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs mkdir /data",
            "  unum fs mkdir -p /unum/fs/data/2026/12"
        })
class FsMkdirCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "PATH", converter = FsPathArgument.class, description = "the directory")
    FsPath path;

    @Option(names = {"-p", "--parents"}, description = "make missing parents too; an existing directory is no error")
    boolean parents;

    @Override
    protected int run() {
        client().fsMkdir(path, new FsDirectoryRequest(null, parents, null));
        return 0;
    }
}
