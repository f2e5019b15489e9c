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
            if (startTime(proc) != startTime || innermostPid(proc) != nsPid) {
                return false;
            }
            return Files.getOwner(proc).getName().equals(peerUser);
        } catch (IOException | RuntimeException e) {
            return false; // gone meanwhile
        }
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
