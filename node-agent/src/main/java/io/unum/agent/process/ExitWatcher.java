package io.unum.agent.process;

import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Notices when supervised processes end: on their shim's exit, with a 100 ms poll as the
 * fallback. Records the end in the table and tells the exit listeners once per process.
 */
final class ExitWatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ExitWatcher.class.getName());
    private static final long WATCH_PERIOD_MILLIS = 100;

    private final ProcessTable table;
    private final List<Consumer<ProcessView>> exitListeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService watcher;

    /** Settles what the table holds now (an adopted process may have ended meanwhile), then watches it. */
    ExitWatcher(ProcessTable table) {
        this.table = table;
        table.all().forEach(this::check);
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "unum-exit-watcher");
            t.setDaemon(true);
            return t;
        });
        // Polling is the fallback; shim exits also trigger an immediate check (see watch).
        watcher.scheduleWithFixedDelay(this::checkAll, WATCH_PERIOD_MILLIS, WATCH_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        table.all().forEach(this::watch);
    }

    void addExitListener(Consumer<ProcessView> listener) {
        exitListeners.add(listener);
    }

    /** Puts a process whose shim was just launched into the table and watches it. */
    void track(Tracked t) {
        table.put(t);
        watch(t);
    }

    /** Checks t on the watcher thread, soon. */
    void checkSoon(Tracked t) {
        if (!watcher.isShutdown()) {
            watcher.execute(() -> check(t));
        }
    }

    private void watch(Tracked t) {
        ProcessHandle h;
        synchronized (t) {
            h = t.shim;
        }
        if (h != null) {
            h.onExit().thenRun(() -> checkSoon(t));
        }
    }

    private void checkAll() {
        try {
            table.all().forEach(this::check);
        } catch (Throwable e) {
            LOG.log(Level.WARNING, "exit watcher: " + e, e);
        }
    }

    /** Refreshes t from its proc-dir and /proc; fires the exit listeners on the transition to ended. */
    void check(Tracked t) {
        ProcessView ended;
        synchronized (t) {
            if (t.exit != null || t.dumping != null) {
                return; // a dump's end is not an exit: the dumper decides what it was
            }
            if (!Files.isDirectory(t.dir.dir())) {
                table.remove(t); // deleted behind our back
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
            table.remove(t);
            t.dir.deleteRecursively();
            LOG.info(() -> "forgot gpid " + t.dir.gpid() + " after it ended");
            return;
        }
        if (HeldTrees.endIsNoExit(t)) {
            table.remove(t);
            t.dir.deleteRecursively();
            LOG.info(() -> "the held copy of gpid " + t.dir.gpid() + " ended (" + ended.exit().orElseThrow()
                    + "): discarded, not an exit");
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

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
