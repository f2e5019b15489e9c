package io.unum.agent.process;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Starts programs through unum-shim and keeps track of them. All state lives in
 * {@code <state-dir>/processes/<gpid>/}, so a new supervisor on the same state dir re-adopts
 * whatever an earlier one (or an earlier agent) started. Closing the supervisor never stops a
 * program: the shims are their supervisors, not this JVM. Dumps and restores go through
 * {@link #handoff()}.
 */
public final class ProcessSupervisor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ProcessSupervisor.class.getName());
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final long outputLimit;
    private final boolean root;
    private final StartValidator validator;
    private final ShimLauncher launcher;
    private final ProcessTable table;
    private final ExitWatcher watcher;
    private final ProcessHandoff handoff;
    private final HeldTrees held;

    /** Installs the shim into the state dir and adopts what the state dir holds. */
    public static ProcessSupervisor open(Path stateDir, long outputLimit) {
        return new ProcessSupervisor(stateDir, outputLimit, ShimInstaller.install(stateDir, effectiveUid() == 0));
    }

    public ProcessSupervisor(Path stateDir, long outputLimit, Path shim) {
        if (outputLimit < 2) {
            throw new IllegalArgumentException("output limit must be at least 2 bytes");
        }
        this.outputLimit = outputLimit;
        this.root = effectiveUid() == 0;
        this.validator = new StartValidator(new UserLookup(), root, System.getProperty("user.name"));
        this.launcher = new ShimLauncher(shim);
        this.table = new ProcessTable(stateDir.resolve("processes"));
        List<Tracked> adopted = table.adopt();
        this.watcher = new ExitWatcher(table);
        adopted.forEach(t -> LOG.info(() -> "adopted gpid " + t.dir.gpid() + ": " + (t.view().running() ? "running" : "ended")));
        this.handoff = new SupervisorHandoff(this, table, watcher, launcher);
        this.held = new HeldTrees(table, watcher, launcher);
    }

    public boolean runsAsRoot() {
        return root;
    }

    /** What image dumps and restores may do with supervised processes. */
    public ProcessHandoff handoff() {
        return handoff;
    }

    /** Called (on the watcher thread) once per process when the supervisor notices its end. */
    public void addExitListener(Consumer<ProcessView> listener) {
        watcher.addExitListener(listener);
    }

    /**
     * Validates, then starts the program and waits until it runs.
     *
     * @return the program's host pid
     */
    public int start(StartSpec spec) throws SupervisionException {
        ProcDir dir = table.dirOf(spec.gpid());
        if (spec.gpid() <= 0) {
            throw SupervisionException.invalid("gpid must be positive");
        }
        if (table.contains(spec.gpid()) || Files.exists(dir.dir())) {
            throw ProcessTable.alreadyExists(spec.gpid());
        }
        LaunchPlan plan = validator.validate(spec);
        try {
            PrivateFiles.createDirectory(dir.dir());
        } catch (FileAlreadyExistsException e) {
            throw ProcessTable.alreadyExists(spec.gpid());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ShimLauncher.Launch launch;
        try {
            ShimInputs.writeSpec(dir, plan, outputLimit);
            launch = launcher.launch(dir, false, START_TIMEOUT_NANOS);
        } catch (IOException e) {
            throw ShimLauncher.cannotStart(dir, e);
        }
        Tracked t = launch.tracked();
        watcher.track(t);
        if (launch.pid().isPresent()) {
            int pid = launch.pid().getAsInt();
            LOG.info(() -> "started gpid " + spec.gpid() + " as pid " + pid + ": " + plan.argv());
            return pid;
        }
        // The control plane learns about this failure from our answer; no exit report needed.
        dir.touch(dir.exitReportedFile());
        Process shim = launch.shim();
        String why = dir.readExecError().orElse(null);
        if (why == null) {
            if (shim.isAlive()) {
                // No answer in time: stop the shim so it cannot start the program later.
                shim.destroyForcibly();
                why = "the program did not start within 5 s";
            } else {
                why = "unum-shim failed: " + ShimLauncher.log(dir);
            }
        }
        ShimLauncher.awaitEnd(shim); // the shim writes exit right after exec-error
        watcher.check(t);
        String message = why;
        LOG.info(() -> "gpid " + spec.gpid() + " failed to start: " + message);
        throw SupervisionException.precondition("exec failed: " + message);
    }

    /** Delivers signal number sig to the program. */
    public void signal(int gpid, int sig) throws SupervisionException {
        if (sig < 1 || sig > 64) {
            throw SupervisionException.invalid("signal " + sig + " is not a Linux signal");
        }
        Tracked t = table.require(gpid);
        watcher.check(t);
        int pid;
        synchronized (t) {
            if (t.exit != null) {
                throw SupervisionException.precondition("process " + gpid + " has ended (" + t.exit + ")");
            }
            if (t.held) {
                if (sig != 9) {
                    throw SupervisionException.precondition("process " + gpid + " is a held copy (restored from image "
                            + t.restoredFrom + ", not released): release it first, or discard it with SIGKILL");
                }
                held.kill(t);
                watcher.checkSoon(t);
                return;
            }
            pid = t.pid;
            // Never signal a recycled pid: the start time must still match.
            if (pid <= 0 || (t.pidStart >= 0 && !ProcFs.isSameProcess(pid, t.pidStart))) {
                throw SupervisionException.precondition("process " + gpid + " is not running");
            }
        }
        String error = launcher.signal(pid, sig);
        if (error != null) {
            watcher.check(t);
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
        for (Tracked t : table.all()) {
            watcher.check(t);
            views.add(t.view());
        }
        views.sort(Comparator.comparingInt(ProcessView::gpid));
        return views;
    }

    public Optional<ProcessView> get(int gpid) {
        Tracked t = table.get(gpid);
        if (t == null) {
            return Optional.empty();
        }
        watcher.check(t);
        return Optional.of(t.view());
    }

    /** The files of a process this supervisor knows. */
    public Optional<ProcDir> procDir(int gpid) {
        return Optional.ofNullable(table.get(gpid)).map(t -> t.dir);
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

    /**
     * Lets a tree restored with hold from imageId run (see {@link HeldTrees}). Idempotent;
     * refused when the tree here came from another image.
     */
    public void release(int gpid, String imageId) throws SupervisionException {
        held.release(gpid, imageId);
    }

    /**
     * Deletes an ended process and its output; a held copy is killed and deleted, without an
     * exit report. Idempotent.
     */
    public void remove(int gpid) throws SupervisionException {
        Tracked t = table.get(gpid);
        if (t == null) {
            return;
        }
        watcher.check(t);
        if (t.view().running() && t.view().held()) {
            held.discard(t);
            LOG.info(() -> "removed the held copy of gpid " + gpid);
            return;
        }
        if (t.view().running()) {
            throw SupervisionException.precondition("process " + gpid + " is still running; signal it first");
        }
        table.remove(gpid);
        t.dir.deleteRecursively();
        LOG.info(() -> "removed gpid " + gpid);
    }

    /**
     * Drops a process the control plane no longer knows: an ended one is deleted now, a running
     * one gets SIGKILL and is deleted by the watcher once it ended (the shim still writes there).
     */
    public void forget(int gpid) {
        Tracked t = table.get(gpid);
        if (t == null) {
            return;
        }
        watcher.check(t);
        if (!t.view().running()) {
            table.remove(gpid);
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
        watcher.checkSoon(t);
    }

    /** See {@link ProcessHandoff#pagesArriving}. */
    void pagesArriving(int gpid, boolean arriving) {
        Tracked t = table.get(gpid);
        if (t == null) {
            return;
        }
        if (arriving) {
            t.dir.touch(t.dir.pagesArrivingFile());
        } else {
            try {
                Files.deleteIfExists(t.dir.pagesArrivingFile());
            } catch (IOException e) {
                LOG.warning("cannot delete " + t.dir.pagesArrivingFile() + ": " + e.getMessage());
            }
        }
    }

    /**
     * Before an exit is reported: if the process's post-copy pages were still arriving, waits (at
     * most timeout) until the pages daemon has ended, so that an end caused by memory that never
     * arrived is reported with its reason ({@link #end}), not as the program's own crash.
     */
    public void awaitPagesSettled(int gpid, Duration timeout) {
        Tracked t = table.get(gpid);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (t != null && t.dir.has(t.dir.pagesArrivingFile()) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** See {@link ProcessHandoff#end}. */
    void end(int gpid, Function<Map<Integer, Integer>, String> why) {
        Tracked t = table.get(gpid);
        if (t == null || t.dir.has(t.dir.exitReportedFile())) {
            return;
        }
        watcher.check(t);
        boolean kill;
        synchronized (t) {
            kill = t.exit == null && !t.held && t.view().running();
        }
        // Stopped first, so that what the reason reads of the tree does not change under it.
        Map<Integer, Integer> tasks = null;
        List<Integer> members = List.of();
        if (kill) {
            members = t.dir.readInitPid().stream().boxed().flatMap(i -> ProcFs.namespaceMembers(i).stream()).toList();
            launcher.signalAll(19, members);
            tasks = ProcFs.namespacePids(members);
        }
        String reason;
        try {
            reason = why.apply(tasks);
        } catch (RuntimeException e) {
            reason = why.apply(null);
        }
        // Written even if it has just ended: its end then most likely came from the same cause.
        t.dir.writeAtomically(t.dir.endReasonFile(), reason + "\n");
        if (kill) {
            // Every task, the namespace's init among them: a stopped init would never reap the
            // program nor end, and the process would never be reported ended.
            launcher.signalAll(9, members);
            String said = reason;
            LOG.warning(() -> "gpid " + gpid + " stopped: " + said);
            watcher.checkSoon(t);
        }
    }

    /** Why the agent ended the process, if it did ({@link #end}). */
    public Optional<String> endReason(int gpid) {
        Tracked t = table.get(gpid);
        return t == null ? Optional.empty() : t.dir.readEndReason();
    }

    public void markExitReported(int gpid) {
        Tracked t = table.get(gpid);
        if (t != null && Files.isDirectory(t.dir.dir())) {
            t.dir.touch(t.dir.exitReportedFile());
        }
    }

    public boolean isExitReported(int gpid) {
        Tracked t = table.get(gpid);
        return t == null || t.dir.has(t.dir.exitReportedFile());
    }

    /** Ended processes whose exit the control plane has not acknowledged yet. */
    public List<ProcessView> endedUnreported() {
        return list().stream().filter(v -> !v.running() && !isExitReported(v.gpid())).toList();
    }

    @Override
    public void close() {
        watcher.close();
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
