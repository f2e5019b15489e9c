package io.unum.testing;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code unum-dev down}: stops what {@code up} started, and every process the agents supervised. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "stop everything 'up' started, and every process the agents supervised")
final class DownCommand extends ClusterDirCommand {
    @Override
    public Integer call() {
        PrintStream out = main.out;
        Path dir = dir();
        PidsFile pids = pids();
        List<PidsFile.Entry> entries = pids.read();
        if (!pids.exists()) {
            out.println("No " + pids.path() + ": no local cluster was started from " + dir + ".");
        }
        stop("agents", byRole(entries, "agent"));
        int supervised = 0;
        for (Path stateDir : SupervisedProcesses.agentStateDirs(dir)) {
            supervised += SupervisedProcesses.killAll(stateDir);
        }
        supervised += SupervisedProcesses.killStrays(dir).size();
        for (Path stateDir : SupervisedProcesses.agentStateDirs(dir)) {
            SupervisedProcesses.removeCgroups(stateDir);
        }
        if (supervised > 0) {
            out.println("Killed " + supervised + " supervised process(es) (shims and programs).");
        }
        stop("control planes", byRole(entries, "control-plane"));
        stop("etcd", byRole(entries, "etcd"));
        List<PidsFile.Entry> left = entries.stream().filter(e -> e.live().isPresent()).toList();
        if (!left.isEmpty()) {
            main.err.println("Still running: " + PidsFile.describe(left));
            return 1;
        }
        pids.delete();
        OsProcesses.deleteRecursively(dir.resolve("cluster.properties"));
        if (!entries.isEmpty()) {
            out.println("Local cluster stopped. Logs are kept in " + dir.resolve("logs") + ".");
        }
        return 0;
    }

    private void stop(String what, List<PidsFile.Entry> entries) {
        List<PidsFile.Entry> live = entries.stream().filter(e -> e.live().isPresent()).toList();
        if (live.isEmpty()) {
            return;
        }
        main.out.println("Stopping " + what + ": " + PidsFile.describe(live));
        main.out.flush();
        OsProcesses.stopAll(live.stream().map(e -> e.live().orElse(null)).toList(), Duration.ofSeconds(10));
    }

    private static List<PidsFile.Entry> byRole(List<PidsFile.Entry> entries, String role) {
        return entries.stream().filter(e -> e.role().equals(role)).toList();
    }
}
