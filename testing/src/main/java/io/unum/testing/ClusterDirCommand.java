package io.unum.testing;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** What every {@code unum-dev} command starts from: the launcher's streams and the cluster directory with its pids file. */
abstract class ClusterDirCommand implements Callable<Integer> {
    @ParentCommand
    LocalClusterMain main;

    @Mixin
    private LocalClusterMain.ClusterDir clusterDir;

    Path dir() {
        return clusterDir.path();
    }

    /** {@code <dir>/pids}, the processes {@code up} started. */
    PidsFile pids() {
        return new PidsFile(dir().resolve("pids"));
    }
}
