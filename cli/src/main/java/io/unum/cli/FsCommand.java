package io.unum.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code unum fs}: the cluster file system from a machine that need not mount it. */
@Command(name = "fs",
        description = {
            "The cluster file system: one tree at /unum/fs on every node.",
            "Each file's chunks are kept on N nodes (its goal). These commands work through",
            "the REST API, from any machine. PATH is the tree path (/data/x) or the path",
            "as a node sees it (/unum/fs/data/x)."
        },
        subcommands = {
            FsLsCommand.class, FsStatCommand.class, FsPutCommand.class, FsGetCommand.class, FsRmCommand.class,
            FsMkdirCommand.class, FsReplicasCommand.class, FsDfCommand.class, CommandLine.HelpCommand.class
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs mkdir -p /data/in            make a directory and its parents",
            "  unum fs replicas /data 3             keep what is below /data on 3 nodes",
            "  unum fs put ./big.tar /data/in/      upload, with a progress bar",
            "  unum fs stat /data/in/big.tar        its chunks and where their replicas are",
            "  unum fs get /data/in/big.tar - | tar t",
            "  unum fs df                           storage per node, the repair's progress"
        })
class FsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }
}
