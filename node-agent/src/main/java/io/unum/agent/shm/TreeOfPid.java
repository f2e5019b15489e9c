package io.unum.agent.shm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Which supervised process a host pid belongs to: the pid itself or its nearest ancestor that is
 * a supervised program (a program's children attach under its gpid).
 */
public final class TreeOfPid implements Function<Integer, Optional<Integer>> {
    private static final int MAX_DEPTH = 64;
    private final Supplier<Map<Integer, Integer>> runningPids;

    /** runningPids: host pid by gpid, of the programs that run. */
    public TreeOfPid(Supplier<Map<Integer, Integer>> runningPids) {
        this.runningPids = runningPids;
    }

    /**
     * A program may dial the agent before the start that runs it has returned and been recorded:
     * a pid not found at once is looked for again, for this long.
     */
    private static final long SETTLE_MILLIS = 3000;

    @Override
    public Optional<Integer> apply(Integer pid) {
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        while (true) {
            Optional<Integer> gpid = lookup(pid);
            if (gpid.isPresent() || System.currentTimeMillis() > deadline || !Files.exists(Path.of("/proc", pid.toString()))) {
                return gpid;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return gpid;
            }
        }
    }

    private Optional<Integer> lookup(int pid) {
        Map<Integer, Integer> gpidByPid = new HashMap<>();
        runningPids.get().forEach((gpid, hostPid) -> gpidByPid.put(hostPid, gpid));
        int p = pid;
        for (int depth = 0; depth < MAX_DEPTH && p > 1; depth++) {
            Integer gpid = gpidByPid.get(p);
            if (gpid != null) {
                return Optional.of(gpid);
            }
            p = parent(p);
        }
        return Optional.empty();
    }

    private static int parent(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(rest[1]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
