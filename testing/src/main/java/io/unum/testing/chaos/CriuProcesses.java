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

    /** A CRIU process, and the image it works on (its directory under the agent's images/). */
    public record Criu(long pid, String imageId) {
    }

    /** The pids of the CRIU processes (dump, page server, restore, lazy-pages) working for the agent of stateDir. */
    public static List<Long> of(Path stateDir) {
        return working(stateDir).stream().map(Criu::pid).toList();
    }

    /** The CRIU processes working for the agent of stateDir, with the image each works on ("" if none is named). */
    public static List<Criu> working(Path stateDir) {
        String dir = stateDir.toAbsolutePath().toString() + "/";
        List<Criu> found = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : proc) {
                String[] argv = argv(p);
                if (argv.length > 1 && Path.of(argv[0]).getFileName() != null
                        && Path.of(argv[0]).getFileName().toString().equals("criu") && mentions(argv, dir)) {
                    found.add(new Criu(Long.parseLong(p.getFileName().toString()), imageId(argv, dir + "images/")));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return found;
    }

    /** The first path component under images/ that an argument names, without a ".partial" suffix. */
    private static String imageId(String[] argv, String images) {
        for (String a : argv) {
            int at = a.indexOf(images);
            if (at >= 0) {
                String rest = a.substring(at + images.length());
                int slash = rest.indexOf('/');
                String id = slash < 0 ? rest : rest.substring(0, slash);
                return id.endsWith(".partial") ? id.substring(0, id.length() - ".partial".length()) : id;
            }
        }
        return "";
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
