package io.unum.agent.process;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The proc-dir of a process being restored: filled with what its image brought, then handed to
 * {@code unum-shim -r}, which runs the CRIU restore and supervises the restored tree.
 */
public final class Restoring {

    private static final Logger LOG = Logger.getLogger(Restoring.class.getName());

    private final ProcDir dir;
    private final ProcessTable table;
    private final ExitWatcher watcher;
    private final ShimLauncher launcher;

    Restoring(ProcDir dir, ProcessTable table, ExitWatcher watcher, ShimLauncher launcher) {
        this.dir = dir;
        this.table = table;
        this.watcher = watcher;
        this.launcher = launcher;
    }

    /** A file in the proc-dir for a log of the restore. */
    public Path logFile(String name) {
        return dir.dir().resolve(name);
    }

    /** Where CRIU writes the pid of the restored namespace init. */
    public Path initPidFile() {
        return dir.initPidFile();
    }

    /**
     * Writes the shim's inputs: the spec and output segments a dump exported, and the criu restore
     * command with the offsets at which the output streams continue.
     */
    public void write(Path spec, Path outputDir, long stdoutOffset, long stderrOffset, List<String> criuRestore)
            throws IOException {
        ShimInputs.importImage(dir, spec, outputDir);
        ShimInputs.writeRestore(dir, stdoutOffset, stderrOffset, criuRestore);
    }

    /**
     * Runs {@code unum-shim -r} and waits until the restored program runs; then it is supervised
     * here. With hold the restore command must leave the tree stopped (CRIU's --leave-stopped):
     * the held mark is written first, so that an agent dying during the restore leaves it marked.
     */
    public int start(String imageId, boolean hold, Duration timeout) throws SupervisionException {
        return start(imageId, hold, timeout, Optional::empty);
    }

    /**
     * abort: asked while the restore runs; a reason ends it at once (a post-copy restore whose
     * pages daemon failed would otherwise wait for the timeout, its process frozen all along).
     */
    public int start(String imageId, boolean hold, Duration timeout, Supplier<Optional<String>> abort) throws SupervisionException {
        ShimLauncher.Launch launch;
        try {
            dir.writeAtomically(dir.restoredFromFile(), imageId + "\n");
            if (hold) {
                dir.writeAtomically(dir.heldFile(), imageId + "\n");
            }
            launch = launcher.launch(dir, true, timeout.toNanos(), () -> abort.get().isPresent());
        } catch (IOException e) {
            throw ShimLauncher.cannotStart(dir, e);
        }
        Process shim = launch.shim();
        if (launch.pid().isEmpty()) {
            String why = dir.readExecError().or(abort).orElse(shim.isAlive() ? timedOut(shim, timeout) : ShimLauncher.log(dir));
            stop(shim);
            throw SupervisionException.precondition(why);
        }
        watcher.track(launch.tracked());
        int pid = launch.pid().getAsInt();
        LOG.info(() -> "restored gpid " + dir.gpid() + " from image " + imageId + " as pid " + pid
                + (hold ? ", held (stopped) until released" : ""));
        return pid;
    }

    /** Why a restore that is still at work after timeout takes so long: a file lock, when it waits on one. */
    private static String timedOut(Process shim, Duration timeout) {
        List<FileLocks.Lock> awaited = FileLocks.awaitedByDescendantsOf(List.of((int) shim.pid()));
        if (!awaited.isEmpty()) {
            return "criu restore waited more than " + timeout.toSeconds() + " s for a file lock held elsewhere ("
                    + awaited.get(0) + "); a process that holds POSIX locks cannot be restored while another copy "
                    + "of it (e.g. the frozen source of a post-copy move) still holds them";
        }
        return "criu restore did not finish within " + timeout.toSeconds() + " s";
    }

    /**
     * Stops a restore that failed or took too long: the shim and the criu restore it runs share
     * the shim's process group, and a tree CRIU had already put up goes with its init (the shim's
     * child). A shim that saw criu fail ends that tree itself.
     */
    private void stop(Process shim) {
        if (shim.isAlive()) {
            // Its children first: the tree criu was making is the shim's child in a session of its
            // own, beyond the shim's process group, and a shim killed first no longer ends it.
            shim.toHandle().children().forEach(ProcessHandle::destroyForcibly);
            launcher.signal(-(int) shim.pid(), 9);
        }
        dir.readInitPid().ifPresent(init -> launcher.signal(init, 9));
        ShimLauncher.awaitEnd(shim);
    }

    /** Removes the directory of a restore that did not happen. */
    public void abandon() {
        if (!table.contains(dir.gpid())) {
            dir.deleteRecursively();
        }
    }
}
