package io.unum.cli;

import io.unum.api.fs.FsPath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum fs rm}: removes an entry of the tree. */
@Command(name = "rm",
        description = {
            "Remove a file, a symlink or an empty directory (-r: a whole tree).",
            "The blocks of what was removed are collected in the background."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs rm /data/old.csv",
            "  unum fs rm -r /unum/fs/scratch"
        })
class FsRmCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "PATH", converter = FsPathArgument.class, description = "the entry")
    FsPath path;

    @Option(names = {"-r", "--recursive"}, description = "remove a directory and everything below it")
    boolean recursive;

    @Override
    protected int run() {
        client().fsDelete(path, recursive);
        return 0;
    }
}
