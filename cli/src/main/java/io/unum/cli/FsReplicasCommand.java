package io.unum.cli;

import io.unum.api.fs.FsPath;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsEntryType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum fs replicas}: sets a replica goal, as MooseFS's goals. */
@Command(name = "replicas",
        description = {
            "Set the replica goal of a file or a directory.",
            "A directory's goal is inherited by what is created below it (-r: applied to",
            "everything already below it too). The leader's repair adds or drops copies",
            "until every chunk meets its goal; 'unum fs df' shows its progress."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum fs replicas /data 3          new files below /data get 3 replicas",
            "  unum fs replicas -r /data 3       and every file already there too",
            "  unum fs replicas /scratch/x.tmp 1"
        })
class FsReplicasCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "PATH", converter = FsPathArgument.class, description = "a file or directory")
    FsPath path;

    @Parameters(index = "1", paramLabel = "N", description = "the goal, 1 to 9")
    int replicas;

    @Option(names = {"-r", "--recursive"}, description = "apply it to everything below a directory now")
    boolean recursive;

    @Override
    protected int run() {
        if (replicas < 1 || replicas > 9) {
            throw usage("N must be 1 to 9, not " + replicas);
        }
        FsEntryInfo e = client().fsSetReplicas(path, replicas, recursive);
        out().println(e.path() + ": goal " + e.replicas() + (e.type() == FsEntryType.DIRECTORY
                ? recursive ? ", for everything below it too" : ", for what is created below it" : ""));
        out().flush();
        return 0;
    }
}
