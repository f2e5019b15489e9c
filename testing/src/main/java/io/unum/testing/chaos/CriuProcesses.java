package io.unum.testing.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CRIU processes an agent started, found on the host by their command line: CRIU is named by
 * its binary and is given a directory in the agent's state dir (the image it dumps into or
 * restores from, or the log of a lazy-pages daemon). Agents share one host in the local cluster, so
 * the state dir is what tells whose CRIU it is.
 */
public final class CriuProcesses {
    private CriuProcesses() {
    }

    /** The pids of the CRIU processes (dump, page server, restore, lazy-pages) working for the agent of stateDir. */
    public static List<Long> of(Path stateDir) {
        String dir = stateDir.toAbsolutePath().toString() + "/";
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : proc) {
                String[] argv = argv(p);
                if (argv.length > 1 && Path.of(argv[0]).getFileName() != null
                        && Path.of(argv[0]).getFileName().toString().equals("criu") && mentions(argv, dir)) {
                    pids.add(Long.parseLong(p.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return pids;
    }

    /** SIGKILLs each; the number that were still there to kill. */
    public static int kill(List<Long> pids) {
        int killed = 0;
        for (long pid : pids) {
            if (ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false)) {
                killed++;
            }
        }
        return killed;
    }

    private static boolean mentions(String[] argv, String dir) {
        for (String a : argv) {
            if (a.startsWith(dir) || a.contains("=" + dir)) {
                return true;
            }
        }
        return false;
    }

    private static String[] argv(Path procDir) {
        try {
            byte[] raw = Files.readAllBytes(procDir.resolve("cmdline"));
            return raw.length == 0 ? new String[0] : new String(raw, StandardCharsets.UTF_8).split("\0");
        } catch (IOException | RuntimeException gone) {
            return new String[0];
        }
    }
}
