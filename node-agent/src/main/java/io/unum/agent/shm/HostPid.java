package io.unum.agent.shm;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which host process a connection speaks for. The library knows only its pid in its own pid
 * namespace; with it it sends its start time, which every namespace sees alike. The match must
 * also run as the connection's user (SO_PEERCRED), so a program cannot pass for another user's.
 */
final class HostPid {
    private HostPid() {
    }

    static Optional<Integer> find(int nsPid, long startTime, String peerUser) {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isNumber(p.getFileName().toString()))) {
            for (Path proc : procs) {
                if (matches(proc, nsPid, startTime, peerUser)) {
                    return Optional.of(Integer.parseInt(proc.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static boolean matches(Path proc, int nsPid, long startTime, String peerUser) {
        try {
            // The process reads its start time through its time namespace: CRIU restores a process
            // into one whose boot time is shifted, so that its clocks go on where they were.
            long seen = startTime(proc) + boottimeOffsetTicks(proc);
            if (Math.abs(seen - startTime) > 1 || innermostPid(proc) != nsPid) {
                return false;
            }
            return runsAs(Integer.parseInt(proc.getFileName().toString()), peerUser);
        } catch (IOException | RuntimeException e) {
            return false; // gone meanwhile
        }
    }

    /**
     * Whether host process pid runs as the user the kernel named for a connection. By its status
     * (effective uid), not by the owner of /proc/PID: a process CRIU restored may be non-dumpable,
     * and then /proc/PID belongs to root.
     */
    static boolean runsAs(int pid, String peerUser) {
        return effectiveIds(pid).map(ids -> uidOf(peerUser) == ids[0]).orElse(false);
    }

    /** A user name as SO_PEERCRED gives it: the uid's digits when it has no passwd entry. */
    static int uidOf(String user) {
        if (!user.isEmpty() && user.chars().allMatch(Character::isDigit)) {
            return Integer.parseInt(user);
        }
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[0].equals(user)) {
                    return Integer.parseInt(f[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The boot time offset of the process's time namespace, in clock ticks (USER_HZ, 100 on Linux). */
    private static long boottimeOffsetTicks(Path proc) {
        try {
            for (String line : Files.readAllLines(proc.resolve("timens_offsets"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 3 && f[0].equals("boottime")) {
                    double seconds = Long.parseLong(f[1]) + Long.parseLong(f[2]) / 1e9;
                    return Math.round(seconds * 100);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0; // no time namespaces here
        }
        return 0;
    }

    static long startTime(Path proc) throws IOException {
        String stat = Files.readString(proc.resolve("stat"));
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(rest[19]);
    }

    /** The effective uid and gid of a host process (from its status), or empty when it is gone. */
    static java.util.Optional<int[]> effectiveIds(int pid) {
        int uid = -1;
        int gid = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("Uid:")) {
                    uid = Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                } else if (line.startsWith("Gid:")) {
                    gid = Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
        return uid < 0 || gid < 0 ? java.util.Optional.empty() : java.util.Optional.of(new int[] {uid, gid});
    }

    /** The last NSpid entry: the pid the process sees itself as. */
    private static int innermostPid(Path proc) throws IOException {
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("NSpid:")) {
                String[] pids = line.substring(6).trim().split("\\s+");
                return Integer.parseInt(pids[pids.length - 1]);
            }
        }
        return -1;
    }

    private static boolean isNumber(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return !s.isEmpty();
    }
}
