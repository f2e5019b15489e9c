package io.unum.agent.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * The fence of a migration: trees restored with hold exist here with every task stopped (CRIU's
 * --leave-stopped) and run only once released, so a copy restored on a target never runs until
 * the control plane has decided the move happened. A held tree that ends (discarded) is not the
 * process's exit: its record lives on wherever the real copy is.
 */
final class HeldTrees {

    private static final Logger LOG = Logger.getLogger(HeldTrees.class.getName());
    private static final int SIGCONT = 18;
    private static final int SIGKILL = 9;
    private static final Duration DISCARD_TIMEOUT = Duration.ofSeconds(10);

    private final ProcessTable table;
    private final ExitWatcher watcher;
    private final ShimLauncher launcher;

    HeldTrees(ProcessTable table, ExitWatcher watcher, ShimLauncher launcher) {
        this.table = table;
        this.watcher = watcher;
        this.launcher = launcher;
    }

    /** Lets the held tree of gpid, restored from imageId, run. Idempotent. */
    void release(int gpid, String imageId) throws SupervisionException {
        Tracked t = table.require(gpid);
        watcher.check(t);
        synchronized (t) {
            if (!imageId.equals(t.restoredFrom)) {
                throw SupervisionException.precondition("process " + gpid + " here was "
                        + (t.restoredFrom == null ? "not restored from an image" : "restored from image " + t.restoredFrom)
                        + ", not from " + imageId);
            }
            if (t.exit != null) {
                throw SupervisionException.precondition("process " + gpid + " has ended (" + t.exit + ")");
            }
            if (!t.held) {
                return;
            }
            OptionalInt init = t.dir.readInitPid();
            if (t.pid <= 0 || init.isEmpty()) {
                throw SupervisionException.precondition("the restore of process " + gpid + " has not finished yet; retry");
            }
            List<Integer> tasks = ProcFs.namespaceMembers(init.getAsInt());
            String error = launcher.signalAll(SIGCONT, tasks);
            // A task CRIU restored as a zombie is reaped by its parent as soon as that runs, which
            // may be before the zombie's own SIGCONT (ESRCH): continue whoever is still there
            // (SIGCONT twice is harmless). Seen in MigrationTest under load.
            for (int pass = 0; error != null && pass < 3; pass++) {
                List<Integer> left = ProcFs.namespaceMembers(init.getAsInt());
                error = left.isEmpty() ? error : launcher.signalAll(SIGCONT, left);
            }
            if (error != null && ProcFs.exists(init.getAsInt())) {
                throw SupervisionException.precondition("cannot release process " + gpid + ": " + error);
            }
            // Continued first, unmarked second: an agent dying in between finds it marked and
            // released again (SIGCONT twice is harmless), never stopped and unmarked.
            try {
                Files.deleteIfExists(t.dir.heldFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            t.held = false;
            LOG.info(() -> "released gpid " + gpid + " (image " + imageId + "): continued " + tasks.size() + " tasks");
        }
    }

    /** Kills a held tree: SIGKILL to its namespace init ends every task, stopped or not. */
    void kill(Tracked t) throws SupervisionException {
        OptionalInt init = t.dir.readInitPid();
        String error = init.isEmpty() ? "its restore has not finished" : launcher.signal(init.getAsInt(), SIGKILL);
        if (error != null && init.isPresent() && ProcFs.exists(init.getAsInt())) {
            throw SupervisionException.precondition("cannot kill held process " + t.dir.gpid() + ": " + error);
        }
        LOG.info(() -> "killed the held copy of gpid " + t.dir.gpid() + "; its end is not an exit");
    }

    /** Kills a held tree and waits until the watcher has forgotten it. */
    void discard(Tracked t) throws SupervisionException {
        kill(t);
        long deadline = System.nanoTime() + DISCARD_TIMEOUT.toNanos();
        while (table.get(t.dir.gpid()) == t) {
            watcher.check(t);
            if (System.nanoTime() > deadline) {
                throw SupervisionException.precondition("the held copy of process " + t.dir.gpid()
                        + " did not end within " + DISCARD_TIMEOUT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /** A held tree, or a restore that never produced a program: its end is nobody's exit. */
    static boolean endIsNoExit(Tracked t) {
        return t.held || (t.restoredFrom != null && t.pid <= 0);
    }
}
