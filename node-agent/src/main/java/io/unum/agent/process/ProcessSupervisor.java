package io.unum.agent.process;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts programs through unum-shim and keeps track of them. All state lives in
 * {@code <state-dir>/processes/<gpid>/}, so a new supervisor on the same state dir re-adopts
 * whatever an earlier one (or an earlier agent) started. Closing the supervisor never stops a
 * program: the shims are their supervisors, not this JVM.
 */
public final class ProcessSupervisor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ProcessSupervisor.class.getName());
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long WATCH_PERIOD_MILLIS = 100;

    private final Path processesDir;
    private final Path shim;
    private final long outputLimit;
    private final boolean root;
    private final StartValidator validator;
    private final Map<Integer, Tracked> tracked = new ConcurrentHashMap<>();
    private final List<Consumer<ProcessView>> exitListeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService watcher;

    /** Installs the shim into the state dir and adopts what the state dir holds. */
    public static ProcessSupervisor open(Path stateDir, long outputLimit) {
        return new ProcessSupervisor(stateDir, outputLimit, ShimInstaller.install(stateDir, effectiveUid() == 0));
    }

    public ProcessSupervisor(Path stateDir, long outputLimit, Path shim) {
        if (outputLimit < 2) {
            throw new IllegalArgumentException("output limit must be at least 2 bytes");
        }
        this.processesDir = stateDir.resolve("processes");
        this.shim = shim;
        this.outputLimit = outputLimit;
        this.root = effectiveUid() == 0;
        this.validator = new StartValidator(new UserLookup(), root, System.getProperty("user.name"));
        try {
            Files.createDirectories(processesDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        adopt();
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "unum-exit-watcher");
            t.setDaemon(true);
            return t;
        });
        // Polling is the fallback; shim exits also trigger an immediate check (see watchShim).
        watcher.scheduleWithFixedDelay(this::checkAll, WATCH_PERIOD_MILLIS, WATCH_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        tracked.values().forEach(this::watchShim);
    }

    public boolean runsAsRoot() {
        return root;
    }

    /** Called (on the watcher thread) once per process when the supervisor notices its end. */
    public void addExitListener(Consumer<ProcessView> listener) {
        exitListeners.add(listener);
    }

    /**
     * Validates, then starts the program and waits until it runs.
     *
     * @return the program's host pid
     */
    public int start(StartSpec spec) throws SupervisionException {
        ProcDir dir = procDirOf(spec.gpid());
        if (spec.gpid() <= 0) {
            throw SupervisionException.invalid("gpid must be positive");
        }
        if (tracked.containsKey(spec.gpid()) || Files.exists(dir.dir())) {
            throw alreadyExists(spec.gpid());
        }
        LaunchPlan plan = validator.validate(spec);
        try {
            Files.createDirectory(dir.dir());
        } catch (FileAlreadyExistsException e) {
            throw alreadyExists(spec.gpid());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Process process;
        try {
            Files.write(dir.spec(), SpecFile.encode(plan, outputLimit));
            process = startShim(dir, false);
        } catch (IOException e) {
            dir.deleteRecursively();
            throw SupervisionException.precondition("cannot start unum-shim: " + e.getMessage());
        }
        Tracked t = new Tracked(dir);
        t.shim = process.toHandle();
        OptionalInt pid = awaitPidOrError(dir, process, START_TIMEOUT_NANOS);
        tracked.put(spec.gpid(), t);
        watchShim(t);
        if (pid.isPresent()) {
            synchronized (t) {
                t.pid = pid.getAsInt();
                t.pidStart = ProcFs.startTime(t.pid).orElse(-1L);
                if (t.pidStart >= 0) {
                    dir.writeAtomically(dir.pidStartFile(), t.pidStart + "\n");
                }
            }
            LOG.info(() -> "started gpid " + spec.gpid() + " as pid " + pid.getAsInt() + ": " + plan.argv());
            return pid.getAsInt();
        }
        // The control plane learns about this failure from our answer; no exit report needed.
        dir.touch(dir.exitReportedFile());
        String why = dir.readExecError().orElse(null);
        if (why == null) {
            if (process.isAlive()) {
                // No answer in time: stop the shim so it cannot start the program later.
                process.destroyForcibly();
                why = "the program did not start within 5 s";
            } else {
                why = "unum-shim failed: " + shimLog(dir);
            }
        }
        try {
            process.waitFor(2, TimeUnit.SECONDS); // the shim writes exit right after exec-error
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        check(t);
        String message = why;
        LOG.info(() -> "gpid " + spec.gpid() + " failed to start: " + message);
        throw SupervisionException.precondition("exec failed: " + message);
    }

    private Process startShim(ProcDir dir, boolean restore) throws IOException {
        List<String> command = restore ? List.of(shim.toString(), "-r", dir.dir().toString())
                : List.of(shim.toString(), dir.dir().toString());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.shimLog().toFile()))
                .redirectErrorStream(true);
        // The program's environment comes from the spec; the shim needs nothing of ours.
        pb.environment().clear();
        pb.environment().put("PATH", StartValidator.DEFAULT_PATH);
        return pb.start();
    }

    /** Polls for the shim's answer with a short backoff: a spawn usually takes a few ms. */
    private static OptionalInt awaitPidOrError(ProcDir dir, Process process, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        long pause = 500_000; // 0.5 ms
        while (System.nanoTime() < deadline) {
            OptionalInt pid = dir.readPid();
            if (pid.isPresent()) {
                return pid;
            }
            if (dir.has(dir.execErrorFile())) {
                return OptionalInt.empty();
            }
            if (!process.isAlive()) {
                return dir.readPid(); // it may have written pid just before exiting
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 3 / 2, 2_000_000); // a stat() per 2 ms is cheap; latency matters more
        }
        return OptionalInt.empty();
    }

    /** Delivers signal number sig to the program. */
    public void signal(int gpid, int sig) throws SupervisionException {
        if (sig < 1 || sig > 64) {
            throw SupervisionException.invalid("signal " + sig + " is not a Linux signal");
        }
        Tracked t = require(gpid);
        check(t);
        int pid;
        synchronized (t) {
            if (t.exit != null) {
                throw SupervisionException.precondition("process " + gpid + " has ended (" + t.exit + ")");
            }
            pid = t.pid;
            // Never signal a recycled pid: the start time must still match.
            if (pid <= 0 || (t.pidStart >= 0 && !ProcFs.isSameProcess(pid, t.pidStart))) {
                throw SupervisionException.precondition("process " + gpid + " is not running");
            }
        }
        String error = Signaller.send(shim, pid, sig);
        if (error != null) {
            check(t);
            if (t.view().running()) {
                throw SupervisionException.precondition("cannot signal process " + gpid + ": " + error);
            }
            throw SupervisionException.precondition("process " + gpid + " has ended");
        }
        LOG.info(() -> "sent signal " + sig + " to gpid " + gpid + " (pid " + pid + ")");
    }

    /** Every supervised process, by gpid. */
    public List<ProcessView> list() {
        List<ProcessView> views = new ArrayList<>();
        for (Tracked t : tracked.values()) {
            check(t);
            views.add(t.view());
        }
        views.sort(Comparator.comparingInt(ProcessView::gpid));
        return views;
    }

    public Optional<ProcessView> get(int gpid) {
        Tracked t = tracked.get(gpid);
        if (t == null) {
            return Optional.empty();
        }
        check(t);
        return Optional.of(t.view());
    }

    /** The files of a process this supervisor knows. */
    public Optional<ProcDir> procDir(int gpid) {
        return Optional.ofNullable(tracked.get(gpid)).map(t -> t.dir);
    }

    /** The host pids of the programs that run, by gpid. */
    public Map<Integer, Integer> runningPids() {
        Map<Integer, Integer> pids = new LinkedHashMap<>();
        for (ProcessView v : list()) {
            if (v.running() && v.localPid() > 0) {
                pids.put(v.gpid(), v.localPid());
            }
        }
        return pids;
    }

    /** Deletes an ended process and its output. Idempotent. */
    public void remove(int gpid) throws SupervisionException {
        Tracked t = tracked.get(gpid);
        if (t == null) {
            return;
        }
        check(t);
        if (t.view().running()) {
            throw SupervisionException.precondition("process " + gpid + " is still running; signal it first");
        }
        tracked.remove(gpid);
        t.dir.deleteRecursively();
        LOG.info(() -> "removed gpid " + gpid);
    }

    /**
     * Drops a process the control plane no longer knows: an ended one is deleted now, a running
     * one gets SIGKILL and is deleted by the watcher once it ended (the shim still writes there).
     */
    public void forget(int gpid) {
        Tracked t = tracked.get(gpid);
        if (t == null) {
            return;
        }
        check(t);
        if (!t.view().running()) {
            tracked.remove(gpid);
            t.dir.deleteRecursively();
            LOG.info(() -> "forgot ended gpid " + gpid);
            return;
        }
        t.dir.touch(t.dir.forgetFile());
        try {
            signal(gpid, 9);
        } catch (SupervisionException e) {
            // ended meanwhile: the watcher deletes it
        }
        LOG.info(() -> "forgetting gpid " + gpid + ": killed, deleted once it ended");
        if (!watcher.isShutdown()) {
            watcher.execute(() -> check(t));
        }
    }

    public void markExitReported(int gpid) {
        Tracked t = tracked.get(gpid);
        if (t != null && Files.isDirectory(t.dir.dir())) {
            t.dir.touch(t.dir.exitReportedFile());
        }
    }

    public boolean isExitReported(int gpid) {
        Tracked t = tracked.get(gpid);
        return t == null || t.dir.has(t.dir.exitReportedFile());
    }

    /** Ended processes whose exit the control plane has not acknowledged yet. */
    public List<ProcessView> endedUnreported() {
        return list().stream().filter(v -> !v.running() && !isExitReported(v.gpid())).toList();
    }

    // ---- dump and restore (CRIU runs elsewhere; the supervisor keeps its books straight) ----

    /** What a dumper needs to know about a process it is about to dump. */
    public record DumpTarget(ProcDir dir, int initPid) {
    }

    /**
     * Marks a running process as being dumped into imageId, so that the end CRIU causes is not
     * reported as an exit. Every beginDump is followed by {@link #endDump} or {@link #detach}.
     */
    public DumpTarget beginDump(int gpid, String imageId) throws SupervisionException {
        Tracked t = require(gpid);
        check(t);
        synchronized (t) {
            if (t.exit != null) {
                throw SupervisionException.precondition("process " + gpid + " has ended (" + t.exit + ")");
            }
            if (t.dumping != null) {
                throw SupervisionException.precondition("process " + gpid + " is already being dumped (image " + t.dumping + ")");
            }
            OptionalInt init = t.dir.readInitPid();
            if (init.isEmpty() || !ProcFs.exists(init.getAsInt())) {
                throw SupervisionException.precondition("process " + gpid + " runs without its own pid namespace "
                        + "(its agent does not run as root), so CRIU cannot dump it");
            }
            t.dir.writeAtomically(t.dir.dumpingFile(), imageId + "\n");
            t.dumping = imageId;
            return new DumpTarget(t.dir, init.getAsInt());
        }
    }

    /** The dump failed or left the process running: its end is an ordinary exit again. */
    public void endDump(int gpid) {
        Tracked t = tracked.get(gpid);
        if (t == null) {
            return;
        }
        synchronized (t) {
            t.dumping = null;
            try {
                Files.deleteIfExists(t.dir.dumpingFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        check(t);
    }

    /**
     * Waits until the shim of a process that a dump stopped has copied the last output and
     * ended; after that the output segments in its directory are complete.
     */
    public void awaitShimEnd(int gpid, Duration timeout) throws SupervisionException {
        Tracked t = require(gpid);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!t.dir.has(t.dir.exitFile())) {
            ProcessHandle h;
            synchronized (t) {
                h = t.shim;
            }
            if (h == null || !h.isAlive()) {
                if (t.dir.has(t.dir.exitFile())) {
                    break;
                }
                if (h == null) {
                    return; // adopted without a live shim: nothing more will be written
                }
            }
            if (System.nanoTime() > deadline) {
                throw SupervisionException.precondition("unum-shim of process " + gpid + " did not finish within " + timeout);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /**
     * Asks the shim of a process that cannot write right now (frozen by CRIU) to copy what its
     * pipes hold and say where each stream ends: {stdout end, stderr end}.
     */
    public long[] drainOutput(int gpid, Duration timeout) throws SupervisionException {
        Tracked t = require(gpid);
        OptionalInt shimPid = t.dir.readShimPid();
        Path drained = t.dir.dir().resolve("drained");
        try {
            Files.deleteIfExists(drained);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String error = shimPid.isEmpty() ? "no shim pid" : Signaller.send(shim, shimPid.getAsInt(), 23); // SIGURG
        if (error != null) {
            throw SupervisionException.precondition("cannot reach the unum-shim of process " + gpid + ": " + error);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                String s = Files.readString(drained, StandardCharsets.UTF_8).trim();
                String[] f = s.split("\\s+");
                return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
            } catch (java.nio.file.NoSuchFileException e) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw SupervisionException.precondition("unum-shim of process " + gpid + " did not report its output within " + timeout);
    }

    /** Forgets a process that now lives in an image (or on another node), without an exit report. */
    public void detach(int gpid) {
        Tracked t = tracked.remove(gpid);
        if (t != null) {
            t.dir.deleteRecursively();
            LOG.info(() -> "gpid " + gpid + " left this node");
        }
    }

    /** Processes whose dump an earlier agent began and did not finish, by gpid, with their image ids. */
    public Map<Integer, String> interruptedDumps() {
        Map<Integer, String> dumps = new LinkedHashMap<>();
        for (Tracked t : tracked.values()) {
            synchronized (t) {
                if (t.dumping != null) {
                    dumps.put(t.dir.gpid(), t.dumping);
                }
            }
        }
        return dumps;
    }

    /**
     * Creates the directory of a process that is about to be restored. The caller fills in spec,
     * restore and the output segments, then calls {@link #startRestored}.
     */
    public ProcDir prepareRestore(int gpid) throws SupervisionException {
        if (gpid <= 0) {
            throw SupervisionException.invalid("gpid must be positive");
        }
        Tracked existing = tracked.get(gpid);
        if (existing != null) {
            check(existing);
            if (existing.view().running()) {
                throw alreadyExists(gpid);
            }
            // An ended earlier life of the same gpid (e.g. stopped by checkpoint --kill) makes way.
            tracked.remove(gpid, existing);
            existing.dir.deleteRecursively();
        }
        ProcDir dir = procDirOf(gpid);
        dir.deleteRecursively(); // leftovers of a restore an earlier agent did not finish
        try {
            Files.createDirectory(dir.dir());
        } catch (FileAlreadyExistsException e) {
            throw alreadyExists(gpid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Runs {@code unum-shim -r} on a prepared directory and waits until the restored program runs. */
    public int startRestored(ProcDir dir, String imageId, Duration timeout) throws SupervisionException {
        Process process;
        try {
            dir.writeAtomically(dir.restoredFromFile(), imageId + "\n");
            process = startShim(dir, true);
        } catch (IOException e) {
            dir.deleteRecursively();
            throw SupervisionException.precondition("cannot start unum-shim: " + e.getMessage());
        }
        OptionalInt pid = awaitPidOrError(dir, process, timeout.toNanos());
        if (pid.isEmpty()) {
            String why = dir.readExecError().orElse(process.isAlive() ? "no answer within " + timeout : shimLog(dir));
            process.destroyForcibly();
            try {
                process.waitFor(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw SupervisionException.precondition(why);
        }
        Tracked t = new Tracked(dir);
        t.shim = process.toHandle();
        synchronized (t) {
            t.pid = pid.getAsInt();
            t.pidStart = ProcFs.startTime(t.pid).orElse(-1L);
            if (t.pidStart >= 0) {
                dir.writeAtomically(dir.pidStartFile(), t.pidStart + "\n");
            }
        }
        tracked.put(dir.gpid(), t);
        watchShim(t);
        LOG.info(() -> "restored gpid " + dir.gpid() + " from image " + imageId + " as pid " + pid.getAsInt());
        return pid.getAsInt();
    }

    /** Removes the directory of a restore that did not happen. */
    public void abandonRestore(ProcDir dir) {
        if (!tracked.containsKey(dir.gpid())) {
            dir.deleteRecursively();
        }
    }

    /** The image a running process was restored from, if it was. */
    public Optional<String> restoredFrom(int gpid) {
        Tracked t = tracked.get(gpid);
        return t == null ? Optional.empty() : t.dir.readRestoredFrom();
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }

    // ---- internals ----

    private ProcDir procDirOf(int gpid) {
        return new ProcDir(gpid, processesDir.resolve(Integer.toString(gpid)));
    }

    private Tracked require(int gpid) throws SupervisionException {
        Tracked t = tracked.get(gpid);
        if (t == null) {
            throw SupervisionException.notFound(gpid);
        }
        return t;
    }

    private static SupervisionException alreadyExists(int gpid) {
        return new SupervisionException(SupervisionException.Reason.ALREADY_EXISTS,
                "process " + gpid + " already exists on this node");
    }

    private void watchShim(Tracked t) {
        ProcessHandle h;
        synchronized (t) {
            h = t.shim;
        }
        if (h != null) {
            h.onExit().thenRun(() -> {
                if (!watcher.isShutdown()) {
                    watcher.execute(() -> check(t));
                }
            });
        }
    }

    private void checkAll() {
        try {
            tracked.values().forEach(this::check);
        } catch (Throwable e) {
            LOG.log(Level.WARNING, "exit watcher: " + e, e);
        }
    }

    /** Refreshes t from its proc-dir and /proc; fires the exit listeners on the transition to ended. */
    private void check(Tracked t) {
        ProcessView ended;
        synchronized (t) {
            if (t.exit != null || t.dumping != null) {
                return; // a dump's end is not an exit: the dumper decides what it was
            }
            if (!Files.isDirectory(t.dir.dir())) {
                tracked.remove(t.dir.gpid(), t); // deleted behind our back
                return;
            }
            if (t.pid == 0) {
                OptionalInt pid = t.dir.readPid();
                if (pid.isPresent()) {
                    t.pid = pid.getAsInt();
                    t.pidStart = t.dir.readPidStart().or(() -> ProcFs.startTime(t.pid)).orElse(-1L);
                }
            }
            Optional<ProcessExit> exit = t.dir.readExit();
            if (exit.isEmpty()) {
                if (t.shim != null && t.shim.isAlive()) {
                    return;
                }
                exit = t.dir.readExit(); // the shim writes exit, then exits
            }
            if (exit.isEmpty()) {
                if (t.pid > 0 && t.pidStart >= 0 && ProcFs.isSameProcess(t.pid, t.pidStart)) {
                    return; // the shim was killed but the program runs on (no output capture)
                }
                // The shim died without recording a status (killed, or the machine rebooted):
                // record the most likely cause so the process is listed as ended, not lost forever.
                exit = Optional.of(ProcessExit.signal(9));
                t.dir.writeAtomically(t.dir.exitFile(), exit.get().format());
                LOG.warning("gpid " + t.dir.gpid() + ": unum-shim ended without an exit status; recorded signal 9");
            }
            t.exit = exit.get();
            t.shim = null;
            ended = t.view();
        }
        if (t.dir.has(t.dir.forgetFile())) {
            tracked.remove(t.dir.gpid(), t);
            t.dir.deleteRecursively();
            LOG.info(() -> "forgot gpid " + t.dir.gpid() + " after it ended");
            return;
        }
        LOG.info(() -> "gpid " + ended.gpid() + " ended: " + ended.exit().orElseThrow());
        for (Consumer<ProcessView> l : exitListeners) {
            try {
                l.accept(ended);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "exit listener failed: " + e, e);
            }
        }
    }

    /** Rebuilds the table from the state dir (a restarted agent re-adopts its processes). */
    private void adopt() {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(processesDir)) {
            for (Path d : dirs) {
                int gpid;
                try {
                    gpid = Integer.parseInt(d.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                ProcDir dir = new ProcDir(gpid, d);
                if (!dir.has(dir.spec())) {
                    dir.deleteRecursively(); // an agent died between mkdir and spec: nothing ran
                    continue;
                }
                Tracked t = new Tracked(dir);
                t.dumping = dir.readDumping().orElse(null);
                OptionalInt shimPid = dir.readShimPid();
                if (shimPid.isPresent() && ProcFs.isShim(shimPid.getAsInt())) {
                    t.shim = ProcessHandle.of(shimPid.getAsInt()).orElse(null);
                }
                tracked.put(gpid, t);
                check(t);
                LOG.info(() -> "adopted gpid " + gpid + ": " + (t.view().running() ? "running" : "ended"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String shimLog(ProcDir dir) {
        try {
            return Files.readString(dir.shimLog(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "root".equals(System.getProperty("user.name")) ? 0 : -1;
    }
}
