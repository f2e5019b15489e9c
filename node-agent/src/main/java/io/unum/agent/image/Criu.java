package io.unum.agent.image;

import io.unum.agent.process.ProcFs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The CRIU binary and the command lines Unum runs it with. Dumps and restores keep established
 * TCP connections ({@code --tcp-established}, locked with nftables since iptables may be absent).
 *
 * <p>A dump of a tree owned by a non-root user runs CRIU with that user's real uid and gid and the
 * capabilities it needs as ambient capabilities ({@code setpriv}, CRIU's {@code --unprivileged}
 * mode): CRIU reads every task's rlimits with prlimit(2), which without CAP_SYS_RESOURCE (absent
 * in containers) requires matching uids. See the comment at the top of unum-shim.c.
 *
 * <p>Every CRIU the agent starts runs in a session of its own ({@code setsid}): an agent killed
 * mid-dump (even with its whole process group) must not take a CRIU with it, for CRIU holds the
 * tree frozen and only CRIU finishing (or dying on its own) settles it. The restore's CRIU runs
 * under unum-shim, which has its own session already.
 */
public final class Criu {

    private static final String DUMP_CAPS = String.join(",", List.of("+chown", "+dac_override",
            "+dac_read_search", "+fowner", "+fsetid", "+kill", "+setgid", "+setuid", "+setpcap", "+net_admin",
            "+sys_chroot", "+sys_ptrace", "+sys_admin", "+checkpoint_restore"));

    /** CRIU's own default ghost limit: a deleted-but-open file bigger than this fails every dump. */
    public static final long DEFAULT_GHOST_LIMIT = 256L << 20;
    public static final Duration DEFAULT_RESTORE_TIMEOUT = Duration.ofSeconds(60);

    private final Path binary;
    private final long ghostLimit;
    private final Duration restoreTimeout;

    private Criu(Path binary, long ghostLimit, Duration restoreTimeout) {
        this.binary = binary;
        this.ghostLimit = ghostLimit;
        this.restoreTimeout = restoreTimeout;
    }

    /**
     * This binary with the agent's limits: the largest deleted-but-open file a dump carries
     * (--criu-ghost-limit), and how long a restore may take (--criu-restore-timeout).
     */
    public Criu withLimits(long ghostLimit, Duration restoreTimeout) {
        if (ghostLimit <= 0 || restoreTimeout.isNegative() || restoreTimeout.isZero()) {
            throw new IllegalArgumentException("the ghost limit and the restore timeout must be positive");
        }
        return new Criu(binary, ghostLimit, restoreTimeout);
    }

    public Duration restoreTimeout() {
        return restoreTimeout;
    }

    /** The configured binary, else criu on PATH; empty when there is none. */
    public static Optional<Criu> locate(Path configured) {
        if (configured != null) {
            return Files.isExecutable(configured)
                    ? Optional.of(new Criu(configured.toAbsolutePath(), DEFAULT_GHOST_LIMIT, DEFAULT_RESTORE_TIMEOUT))
                    : Optional.empty();
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path).split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "criu");
            if (Files.isExecutable(candidate)) {
                return Optional.of(new Criu(candidate.toAbsolutePath(), DEFAULT_GHOST_LIMIT, DEFAULT_RESTORE_TIMEOUT));
            }
        }
        return Optional.empty();
    }

    public Path binary() {
        return binary;
    }

    /** What CRIU's page pipes ask of F_SETPIPE_SZ (about 3.2 MiB on x86-64). */
    static final long PIPE_SIZE_NEEDED = 4L << 20;

    /**
     * Post-copy dumps serve pages through pipes CRIU enlarges to ~3.2 MiB; without
     * CAP_SYS_RESOURCE (containers) that only works when fs.pipe-max-size allows it, and CRIU
     * then fails mid-transfer. Raises the limit when it is lower; returns a warning when it cannot.
     */
    public static Optional<String> allowLargePipes() {
        Path sysctl = Path.of("/proc/sys/fs/pipe-max-size");
        try {
            long current = Long.parseLong(Files.readString(sysctl).trim());
            if (current >= PIPE_SIZE_NEEDED) {
                return Optional.empty();
            }
            Files.writeString(sysctl, Long.toString(PIPE_SIZE_NEEDED));
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of("cannot raise fs.pipe-max-size to " + PIPE_SIZE_NEEDED + " (" + e.getMessage()
                    + "); post-copy migrations of big processes may fail");
        }
    }

    /** Starts dumping the tree rooted at initPid into imagesDir; the log goes to imagesDir/../dump.log. */
    public Process startDump(int initPid, Path imagesDir, boolean leaveRunning) throws CriuException {
        return startDump(initPid, imagesDir, leaveRunning, false);
    }

    /**
     * skipInFlight: connections still queued on a listener of the tree are left out
     * ({@code --skip-in-flight}) instead of failing the dump; the tree's listeners are behind a
     * shut {@link io.unum.agent.net.PortGate} and drained, so normally there are none.
     */
    public Process startDump(int initPid, Path imagesDir, boolean leaveRunning, boolean skipInFlight) throws CriuException {
        List<String> cmd = dumpCommand(initPid, imagesDir, leaveRunning, 0, skipInFlight);
        try {
            return new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(imagesDir.resolveSibling("dump.out").toFile()))
                    .start();
        } catch (IOException e) {
            throw new CriuException("cannot run " + binary + ": " + e.getMessage());
        }
    }

    /**
     * Waits for a dump startDump began; a failure says why, in CRIU's words and ours. When it
     * throws, no CRIU of this dump runs any more (one given up on is killed and waited for).
     */
    public void awaitDump(Process dump, Path imagesDir, long timeoutSeconds) throws CriuException {
        try {
            if (!dump.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                killAndWait(dump);
                throw new CriuException("criu dump did not finish within " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            killAndWait(dump);
            Thread.currentThread().interrupt();
            throw new CriuException("interrupted during criu dump");
        }
        if (dump.exitValue() != 0) {
            throw new CriuException(dumpFailure(logFile(imagesDir, "dump"), dump.exitValue()));
        }
    }

    /** Kills a dump's process and everything below it, and waits (bounded) until they are gone. */
    static void killAndWait(Process dump) {
        List<ProcessHandle> all = new ArrayList<>(dump.descendants().toList());
        all.add(dump.toHandle());
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // reported by dumpRunning, which the callers ask before they clean up after it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Does a CRIU still dump into imagesDir? Whoever cleans up after a failed dump asks first: the
     * process the agent waited for is the shell above CRIU, which may have died alone.
     */
    public static boolean dumpRunning(Path imagesDir) {
        String dir = imagesDir.toString();
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                byte[] raw;
                try {
                    raw = Files.readAllBytes(proc.resolve("cmdline"));
                } catch (IOException | RuntimeException e) {
                    continue; // gone meanwhile
                }
                List<String> args = List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
                int at = args.indexOf("--images-dir");
                if (args.contains("dump") && at >= 0 && at + 1 < args.size() && args.get(at + 1).equals(dir)
                        && args.get(0).endsWith("criu")) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /**
     * Did the dump into imagesDir succeed? Its exit status is in a file beside it (see
     * dumpCommand), for an agent that is not CRIU's parent: the one after a crash.
     */
    static boolean dumpSucceeded(Path imagesDir) {
        try {
            return "0".equals(Files.readString(imagesDir.resolveSibling("dump.status"), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return false;
        }
    }

    /** Why a dump failed; a ghost file over the limit is the one cause the operator fixes with an option. */
    String dumpFailure(Path log, int exitValue) {
        String errors = errors(log);
        if (exitValue > 128 && !errors.contains("Error (")) {
            // Killed from outside (an OOM kill, an operator): the log just stops, and says nothing of why.
            return "criu dump was killed by signal " + (exitValue - 128) + " before it finished";
        }
        if (errors.contains("Can't dump ghost file")) {
            return "criu dump failed: a deleted file the process holds open is larger than the ghost limit ("
                    + ghostLimit + " bytes); raise --criu-ghost-limit (" + errors + ")";
        }
        return "criu dump failed: " + errors;
    }

    /**
     * Starts a post-copy dump: CRIU writes every image but the memory pages, writes one byte to its
     * stdout (--status-fd 1), then holds the tree frozen and serves its pages on port until the
     * restoring side has them all, and ends the tree. The caller reads the byte and waits.
     */
    public Process startLazyDump(int initPid, Path imagesDir, int port) throws CriuException {
        return startLazyDump(initPid, imagesDir, port, false);
    }

    /** skipInFlight: as for {@link #startDump(int, Path, boolean, boolean)}. */
    public Process startLazyDump(int initPid, Path imagesDir, int port, boolean skipInFlight) throws CriuException {
        List<String> cmd = dumpCommand(initPid, imagesDir, false, port, skipInFlight);
        try {
            return new ProcessBuilder(cmd).redirectError(imagesDir.resolveSibling("dump.out").toFile()).start();
        } catch (IOException e) {
            throw new CriuException("cannot run " + binary + ": " + e.getMessage());
        }
    }

    /**
     * Starts the daemon that fetches a post-copy restore's pages from the source's page server, and
     * returns once it listens for the restore (it writes one byte to its stdout, --status-fd 1).
     */
    public Process startLazyPages(Path imagesDir, String host, int port, Path log) throws CriuException {
        List<String> cmd = List.of(binary.toString(), "lazy-pages", "--page-server", "--address", host, "--port",
                Integer.toString(port), "--images-dir", imagesDir.toString(), "--log-file", log.toString(),
                "--status-fd", "1");
        Process daemon;
        try {
            daemon = new ProcessBuilder(ownSession(cmd)).redirectError(log.resolveSibling("lazy-pages.out").toFile()).start();
            if (daemon.getInputStream().read() < 0) {
                daemon.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                throw new CriuException("criu lazy-pages failed: " + errors(log));
            }
            return daemon;
        } catch (IOException e) {
            throw new CriuException("cannot run " + binary + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CriuException("interrupted while starting criu lazy-pages");
        }
    }

    private List<String> dumpCommand(int initPid, Path imagesDir, boolean leaveRunning, int lazyPort, boolean skipInFlight)
            throws CriuException {
        ProcFs.Owner owner = ProcFs.owner(initPid)
                .orElseThrow(() -> new CriuException("process tree " + initPid + " is gone"));
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        if (lazyPort == 0) {
            // A shell writes CRIU's exit status down: the next agent needs it if this one dies meanwhile.
            // (A lazy dump's partial image is never completed after a crash: nobody could fetch its pages.)
            cmd.addAll(List.of("sh", "-c", "\"$@\"; s=$?; echo $s > \"$0\"; exit $s",
                    imagesDir.resolveSibling("dump.status").toString()));
        }
        if (owner.uid() != 0) {
            cmd.addAll(List.of("setpriv", "--reuid=" + owner.uid(), "--regid=" + owner.gid(), "--clear-groups",
                    "--inh-caps=" + DUMP_CAPS, "--ambient-caps=" + DUMP_CAPS));
        }
        cmd.addAll(List.of(binary.toString(), "dump", "--tree", Integer.toString(initPid), "--images-dir",
                imagesDir.toString(), "--log-file", logFile(imagesDir, "dump").toString(), "--tcp-established",
                "--network-lock", "nftables", "--file-locks", "--ghost-limit", Long.toString(ghostLimit),
                // Info level puts CRIU's run id in the log before it takes its network lock: a
                // CRIU killed mid-dump leaves its table behind, and the log names it (PortGate).
                "-v3"));
        if (owner.uid() != 0) {
            cmd.add("--unprivileged");
        }
        if (leaveRunning) {
            cmd.add("--leave-running");
        }
        if (skipInFlight) {
            cmd.add("--skip-in-flight");
        }
        if (lazyPort > 0) {
            cmd.addAll(List.of("--lazy-pages", "--address", "0.0.0.0", "--port", Integer.toString(lazyPort), "--status-fd", "1"));
        }
        return cmd;
    }

    /**
     * The restore command line for {@code unum-shim -r}: the shim passes the new stdout, stderr and
     * status pipes as fds 3, 4 and 5, which replace the pipes the dumped tree had.
     */
    public List<String> restoreCommand(Path imagesDir, Path pidFile, Path logFile, long[] pipeInodes, boolean lazy,
            boolean leaveStopped) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "restore", "--images-dir", imagesDir.toString(),
                "--log-file", logFile.toString(), "--restore-detached", "--restore-sibling", "--pidfile",
                pidFile.toString(), "--tcp-established", "--file-locks"));
        if (lazy) {
            cmd.add("--lazy-pages");
        }
        if (leaveStopped) {
            cmd.add("--leave-stopped");
        }
        for (int i = 0; i < pipeInodes.length; i++) {
            cmd.add("--inherit-fd");
            cmd.add("fd[" + (3 + i) + "]:pipe:[" + pipeInodes[i] + "]");
        }
        return cmd;
    }

    static Path logFile(Path imagesDir, String action) {
        return imagesDir.resolveSibling(action + ".log");
    }

    /** The command run by setsid (util-linux): not a group leader, so it execs in place, keeping the pid. */
    private static List<String> ownSession(List<String> cmd) {
        List<String> own = new ArrayList<>(List.of("setsid"));
        own.addAll(cmd);
        return own;
    }

    /** The error lines of a CRIU log, which say what went wrong far better than the exit code. */
    static String errors(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            // Raising its own fd limit fails harmlessly without CAP_SYS_RESOURCE; it is not the cause.
            List<String> errors = lines.stream().filter(l -> l.contains("Error (") && !l.contains("RLIMIT_NOFILE"))
                    .map(String::strip).toList();
            // Without an error line, the last words; but not the warning every unprivileged run starts with.
            List<String> said = lines.stream().filter(l -> !l.contains("XDG_RUNTIME_DIR not set")).toList();
            List<String> pick = errors.isEmpty() ? said.subList(Math.max(0, said.size() - 3), said.size()) : errors;
            return String.join("; ", pick.subList(Math.max(0, pick.size() - 4), pick.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log at " + log + ")";
        }
    }
}
