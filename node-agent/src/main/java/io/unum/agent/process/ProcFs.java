package io.unum.agent.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.DirectoryStream;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The few facts about live processes the supervisor reads from /proc. */
public final class ProcFs {

    private ProcFs() {
    }

    /** Field 22 of /proc/PID/stat: with the pid, identifies one process across pid reuse. */
    public static Optional<Long> startTime(int pid) {
        return statFields(pid).map(f -> Long.parseLong(f[19]));
    }

    /**
     * The fields of /proc/PID/stat after "pid (comm)": index 0 is field 3 (state). comm may
     * contain spaces and parentheses, hence the split at the last ')'.
     */
    public static Optional<String[]> statFields(int pid) {
        try {
            String s = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.UTF_8);
            int close = s.lastIndexOf(')');
            if (close < 0) {
                return Optional.empty();
            }
            String[] f = s.substring(close + 2).trim().split(" ");
            // A zombie has ended already, even if its parent did not reap it yet.
            return f.length > 20 && !"Z".equals(f[0]) ? Optional.of(f) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Is PID alive (and not a zombie)? */
    static boolean exists(int pid) {
        return statFields(pid).isPresent();
    }

    /** Real uid and gid of a live process. */
    public record Owner(int uid, int gid) {
    }

    public static Optional<Owner> owner(int pid) {
        try {
            int uid = -1;
            int gid = -1;
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    uid = Integer.parseInt(line.split("\\s+")[1]);
                } else if (line.startsWith("Gid:")) {
                    gid = Integer.parseInt(line.split("\\s+")[1]);
                }
            }
            return uid >= 0 && gid >= 0 ? Optional.of(new Owner(uid, gid)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Is PID alive and the process that started at startTime? */
    static boolean isSameProcess(int pid, long startTime) {
        return startTime(pid).map(t -> t == startTime).orElse(false);
    }

    /** Is PID alive and running unum-shim (its argv[0] names unum-shim)? */
    static boolean isShim(int pid) {
        try {
            byte[] cmd = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
            int end = 0;
            while (end < cmd.length && cmd[end] != 0) {
                end++;
            }
            return new String(cmd, 0, end, StandardCharsets.UTF_8).contains("unum-shim")
                    && statFields(pid).isPresent();
        } catch (IOException e) {
            return false;
        }
    }

    /** Is PID alive and stopped (state T, as CRIU's --leave-stopped leaves a restored tree)? */
    public static boolean isStopped(int pid) {
        return statFields(pid).map(f -> "T".equals(f[0]) || "t".equals(f[0])).orElse(false);
    }

    /** The parent of a live PID; 0 when it is gone. */
    public static int parent(int pid) {
        return statFields(pid).map(f -> Integer.parseInt(f[1])).orElse(0);
    }

    /** For each host pid, its pid in its own (innermost) pid namespace: the last field of NSpid. */
    public static Map<Integer, Integer> namespacePids(List<Integer> hostPids) {
        Map<Integer, Integer> byNsPid = new HashMap<>();
        for (int pid : hostPids) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                    if (line.startsWith("NSpid:")) {
                        String[] f = line.substring("NSpid:".length()).trim().split("\\s+");
                        byNsPid.put(Integer.parseInt(f[f.length - 1]), pid);
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // gone meanwhile
            }
        }
        return byNsPid;
    }

    /** Every live process in the pid namespace whose init (pid 1 there) is initPid, as host pids. */
    public static List<Integer> namespaceMembers(int initPid) {
        Path ns;
        try {
            ns = Files.readSymbolicLink(Path.of("/proc", Integer.toString(initPid), "ns", "pid"));
        } catch (IOException e) {
            return List.of();
        }
        List<Integer> members = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    if (ns.equals(Files.readSymbolicLink(p.resolve("ns").resolve("pid")))) {
                        members.add(Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (IOException | NumberFormatException e) {
                    // gone meanwhile, or not a process
                }
            }
        } catch (IOException e) {
            return List.of(initPid);
        }
        return members;
    }
}
