package io.unum.agent.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * File locks as /proc/locks lists them. CRIU moves POSIX locks (--file-locks) by taking them
 * again on restore, which blocks while another process holds them: post-copy cannot move a
 * tree whose frozen source still holds its locks, and a restore can wait on a lock for ever.
 */
public final class FileLocks {

    private static final Path PROC_LOCKS = Path.of("/proc/locks");

    /** One line of /proc/locks: waiting is true for a process blocked on the lock ("->"). */
    public record Lock(String type, String access, int pid, String file, boolean waiting) {
        @Override
        public String toString() {
            return type + " " + access + " on " + file + " (pid " + pid + ")";
        }
    }

    private FileLocks() {
    }

    /** The POSIX (fcntl/lockf) locks that the tree of a namespace init holds. */
    public static List<Lock> posixHeldByTree(int initPid) {
        Set<Integer> tree = Set.copyOf(ProcFs.namespaceMembers(initPid));
        return all().stream().filter(l -> !l.waiting() && "POSIX".equals(l.type()) && tree.contains(l.pid())).toList();
    }

    /** Locks some process among pids or their descendants waits for. */
    static List<Lock> awaitedByDescendantsOf(Collection<Integer> ancestors) {
        return all().stream().filter(l -> l.waiting() && descendsFrom(l.pid(), ancestors)).toList();
    }

    private static boolean descendsFrom(int pid, Collection<Integer> ancestors) {
        for (int p = pid, depth = 0; p > 1 && depth < 64; p = ProcFs.parent(p), depth++) {
            if (ancestors.contains(p)) {
                return true;
            }
        }
        return false;
    }

    static List<Lock> all() {
        List<Lock> locks = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(PROC_LOCKS);
        } catch (IOException e) {
            return locks;
        }
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            int i = 1;
            boolean waiting = f.length > 1 && "->".equals(f[1]);
            if (waiting) {
                i++;
            }
            if (f.length < i + 5) {
                continue;
            }
            try {
                locks.add(new Lock(f[i], f[i + 2], Integer.parseInt(f[i + 3]), f[i + 4], waiting));
            } catch (NumberFormatException e) {
                // an unexpected line: not a lock we can name
            }
        }
        return locks;
    }
}
