package io.unum.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The user processes an agent supervises, found through its state dir: every
 * {@code processes/<gpid>/} holds {@code shim.pid} (the shim, leader of its own session and
 * process group) and, once the program runs, {@code pid} (its host pid). They outlive the agent
 * by design, so whoever tears a cluster down has to kill them explicitly.
 */
public final class SupervisedProcesses {
    /** A pid file is trusted only for a process that started before the file was written (plus clock slack). */
    private static final Duration START_SLACK = Duration.ofSeconds(2);

    private SupervisedProcesses() {
    }

    /** The agents' state dirs of a cluster directory laid out by {@link LocalCluster}: {@code <dir>/agents/<node>}. */
    static List<Path> agentStateDirs(Path clusterDir) {
        Path agents = clusterDir.resolve("agents");
        if (!Files.isDirectory(agents)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(agents)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + agents, e);
        }
    }

    /** The live processes listed under {@code stateDir/processes}; a pid reused by an unrelated later process is left out. */
    public static List<ProcessHandle> live(Path stateDir) {
        Path processes = stateDir.resolve("processes");
        List<ProcessHandle> found = new ArrayList<>();
        if (!Files.isDirectory(processes)) {
            return found;
        }
        try (Stream<Path> dirs = Files.list(processes)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                for (String file : List.of("shim.pid", "pid")) {
                    readLive(dir.resolve(file)).ifPresent(found::add);
                }
            }
        } catch (IOException e) {
            // the agent may be deleting a directory right now; what we found is what there is
        }
        return found;
    }

    /** Where the pid of the process holding a node's mount namespace is kept (root only). */
    static Path namespaceHolderFile(Path stateDir) {
        return stateDir.resolve("mount-namespace.pid");
    }

    /** The live process holding the mount namespace the agent of stateDir runs in, if any. */
    static Optional<ProcessHandle> namespaceHolder(Path stateDir) {
        return readLive(namespaceHolderFile(stateDir));
    }

    /**
     * SIGKILLs every live supervised process under {@code stateDir}: the process group of each shim,
     * each listed pid and all their descendants, and the holder of the node's mount namespace.
     * Waits up to 5 s for them to be gone.
     *
     * @return how many listed processes were alive
     */
    public static int killAll(Path stateDir) {
        List<ProcessHandle> listed = live(stateDir);
        List<ProcessHandle> all = new ArrayList<>(criuWorkingIn(stateDir));
        for (ProcessHandle h : listed) {
            OsProcesses.processGroup(h.pid()).ifPresent(pgid -> {
                if (pgid == h.pid()) { // the shim leads its own group; never touch a group it merely belongs to
                    OsProcesses.killGroup(pgid);
                }
            });
            all.add(h);
            h.descendants().forEach(all::add);
        }
        namespaceHolder(stateDir).ifPresent(all::add);
        all.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (ProcessHandle h : all) {
            OsProcesses.awaitExit(h, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        return listed.size();
    }

    /**
     * SIGKILLs the processes {@link #killAll} could not find through the state dirs: any process
     * still naming a path below a node's state dir {@code clusterDir/agents/<node>/} in its arguments (a shim or a CRIU of
     * this cluster), with its process group and descendants. Each is a process the cluster lost
     * track of, which is a bug; it is printed as {@code STRAY PROCESS} on stderr so that a test
     * run shows it. Call it once the agents are stopped and killAll ran.
     *
     * @return the strays' descriptions (pid and arguments)
     */
    public static List<String> killStrays(Path clusterDir) {
        String agents = clusterDir.toAbsolutePath().normalize().resolve("agents") + "/";
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> strays = ProcessHandle.allProcesses()
                .filter(h -> h.pid() != self)
                // below a node's state dir (a process dir, an image), not the dir itself: an agent names that
                .filter(h -> h.info().arguments().map(args -> java.util.Arrays.stream(args)
                        .anyMatch(a -> a.startsWith(agents) && a.indexOf('/', agents.length()) > 0)).orElse(false))
                .toList();
        List<String> described = new ArrayList<>();
        List<ProcessHandle> all = new ArrayList<>();
        for (ProcessHandle h : strays) {
            String what = h.pid() + " " + h.info().commandLine().orElse("?");
            described.add(what);
            System.err.println("STRAY PROCESS left by the cluster in " + clusterDir + ": " + what);
            OsProcesses.processGroup(h.pid()).ifPresent(pgid -> {
                if (pgid == h.pid()) {
                    OsProcesses.killGroup(pgid);
                }
            });
            all.add(h);
            h.descendants().forEach(all::add);
        }
        all.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (ProcessHandle h : all) {
            OsProcesses.awaitExit(h, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        return described;
    }

    /**
     * CRIU processes whose images are in this state dir. CRIU runs in a session of its own so
     * that it outlives a killed agent (a post-copy dump keeps serving pages, frozen tree and all),
     * so it is neither a listed process nor the agent's descendant.
     */
    private static List<ProcessHandle> criuWorkingIn(Path stateDir) {
        String dir = stateDir.toAbsolutePath().normalize().toString() + "/";
        return ProcessHandle.allProcesses()
                .filter(h -> h.info().command().map(c -> c.endsWith("/criu")).orElse(false))
                .filter(h -> h.info().arguments().map(args -> java.util.Arrays.stream(args).anyMatch(a -> a.startsWith(dir)))
                        .orElse(false))
                .toList();
    }

    /**
     * Removes the cgroups a stopped agent enforced its capacity with ({@code stateDir/cgroups}
     * lists them). Only empty ones can go, so call it after {@link #killAll} and only once the
     * agent itself is stopped: a running agent would lose its capacity.
     */
    public static void removeCgroups(Path stateDir) {
        try {
            Path listed = stateDir.resolve("cgroups");
            if (Files.isRegularFile(listed)) {
                for (String dir : Files.readAllLines(listed)) {
                    Files.deleteIfExists(Path.of(dir.trim()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // still in use (a process lingers) or already gone: leaving an empty cgroup behind is harmless
        }
    }

    private static Optional<ProcessHandle> readLive(Path pidFile) {
        try {
            if (!Files.isRegularFile(pidFile)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            FileTime written = Files.getLastModifiedTime(pidFile);
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(h -> startedBefore(h, written.toInstant().plus(START_SLACK)));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean startedBefore(ProcessHandle h, Instant limit) {
        return h.info().startInstant().map(start -> !start.isAfter(limit)).orElse(true);
    }
}
