package io.unum.agent.process;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;
import java.util.stream.Stream;

/** A process handed over for a dump: its end is not an exit until it is released. */
public final class Dumping {

    private static final Logger LOG = Logger.getLogger(Dumping.class.getName());
    private static final int SIGSTOP = 19;
    private static final int SIGCONT = 18;

    private final Tracked t;
    private final String imageId;
    private final ProcessSupervisor supervisor;
    private final ProcessTable table;
    private final ExitWatcher watcher;
    private final ShimLauncher launcher;

    Dumping(Tracked t, String imageId, ProcessSupervisor supervisor, ProcessTable table, ExitWatcher watcher,
            ShimLauncher launcher) {
        this.t = t;
        this.imageId = imageId;
        this.supervisor = supervisor;
        this.table = table;
        this.watcher = watcher;
        this.launcher = launcher;
    }

    /** What a dump carries of the proc-dir: where each output stream continues, and the pipes to re-attach. */
    public record Exported(long stdoutEnd, long stderrEnd, long[] pipeInodes) {
    }

    public int gpid() {
        return t.dir.gpid();
    }

    public String imageId() {
        return imageId;
    }

    /** The namespace init: the root of the tree CRIU dumps. */
    public int initPid() {
        return t.dir.readInitPid().orElseThrow();
    }

    /**
     * Waits until the shim of a process that a dump stopped has copied the last output and
     * ended; after that the output segments in its directory are complete.
     */
    public void awaitShimEnd(Duration timeout) throws SupervisionException {
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
                throw SupervisionException.precondition("unum-shim of process " + gpid() + " did not finish within " + timeout);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /**
     * Asks the shim of a process that cannot write right now (frozen by CRIU) to copy what its
     * pipes hold and say where each stream ends: {stdout end, stderr end}.
     */
    public long[] drainOutput(Duration timeout) throws SupervisionException {
        java.util.OptionalInt shimPid = t.dir.readShimPid();
        Path drained = t.dir.dir().resolve("drained");
        try {
            Files.deleteIfExists(drained);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String error = shimPid.isEmpty() ? "no shim pid" : launcher.signal(shimPid.getAsInt(), 23); // SIGURG
        if (error != null) {
            throw SupervisionException.precondition("cannot reach the unum-shim of process " + gpid() + ": " + error);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                String[] f = Files.readString(drained, StandardCharsets.UTF_8).trim().split("\\s+");
                return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
            } catch (NoSuchFileException e) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw SupervisionException.precondition("unum-shim of process " + gpid() + " did not report its output within " + timeout);
    }

    /** Copies the spec and the output segments for the image; a restore hands them back to a shim. */
    public Exported export(Path spec, Path outputDir) throws IOException {
        PrivateFiles.createDirectories(outputDir);
        long stdoutEnd = copyOutput(outputDir, "stdout");
        long stderrEnd = copyOutput(outputDir, "stderr");
        // An agent that died during the export left some of it: the next one completes the image over it.
        PrivateFiles.copy(t.dir.spec(), spec);
        String pipes = Files.readString(t.dir.pipesFile(), StandardCharsets.UTF_8).trim();
        return new Exported(stdoutEnd, stderrEnd, Stream.of(pipes.split("\\s+")).mapToLong(Long::parseLong).toArray());
    }

    /** Copies a stream's segments; returns the offset where the stream continues. */
    private long copyOutput(Path outputDir, String stream) throws IOException {
        long end = 0;
        try (DirectoryStream<Path> segs = Files.newDirectoryStream(t.dir.dir(), stream + ".*")) {
            for (Path seg : segs) {
                long start;
                try {
                    start = Long.parseLong(seg.getFileName().toString().substring(stream.length() + 1));
                } catch (NumberFormatException e) {
                    continue;
                }
                try {
                    PrivateFiles.copy(seg, outputDir.resolve(seg.getFileName()));
                    end = Math.max(end, start + Files.size(outputDir.resolve(seg.getFileName())));
                } catch (NoSuchFileException e) {
                    // rotated away by a shim that still runs (a checkpoint that leaves it running)
                }
            }
        }
        return end;
    }

    /**
     * The CRIU of a dump an earlier agent began, as its proc-dir recorded it. cancelled: a
     * post-copy dump whose move was called off (no restore took its image) and whose CRIU was
     * being killed, which lets the tree run on here.
     */
    public record RecordedCriu(Optional<ProcessHandle> process, boolean lazy, boolean cancelled) {
    }

    /** Records the CRIU now dumping the process, so that the next agent can wait for it. */
    public void criuStarted(Process criu, boolean lazy) {
        long start = ProcFs.startTime((int) criu.pid()).orElse(-1L);
        t.dir.writeAtomically(t.dir.criuPidFile(), criu.pid() + " " + start + " " + (lazy ? "lazy" : "full") + "\n");
    }

    /**
     * Records, before its CRIU is killed, that this post-copy dump is called off: an agent that
     * dies in between leaves the next one a tree that runs on and no CRIU, which without this
     * mark reads as a dump that ended mid-serving (and is stopped so that it never runs twice).
     */
    public void criuCancelled() {
        String[] f = t.dir.readCriuPid().orElse("").split("\\s+");
        if (f.length >= 3) {
            t.dir.writeAtomically(t.dir.criuPidFile(), f[0] + " " + f[1] + " cancelled\n");
        }
    }

    /** The CRIU an earlier agent recorded, if it still runs; whether its dump is a post-copy one. */
    public RecordedCriu recordedCriu() {
        String[] f = t.dir.readCriuPid().orElse("").split("\\s+");
        if (f.length < 3) {
            return new RecordedCriu(Optional.empty(), false, false);
        }
        int pid = Integer.parseInt(f[0]);
        long start = Long.parseLong(f[1]);
        Optional<ProcessHandle> alive = ProcFs.isSameProcess(pid, start) ? ProcessHandle.of(pid) : Optional.empty();
        boolean cancelled = "cancelled".equals(f[2]);
        return new RecordedCriu(alive, cancelled || "lazy".equals(f[2]), cancelled);
    }

    /**
     * The fence of a post-copy dump: a SIGSTOP to every task of the tree, sent once CRIU wrote the
     * image (so that the image does not carry it). While CRIU holds the tasks (ptrace) the signal
     * waits; the moment CRIU lets go of them without ending them (it failed, or was killed) it
     * stops them, before they run a single instruction. So a tree whose page server died stays
     * stopped until the control plane says whether a copy runs elsewhere ({@link #unfence} or kill).
     */
    public void fence() {
        String error = launcher.signalAll(SIGSTOP, ProcFs.namespaceMembers(initPid()));
        if (error != null) {
            LOG.warning("gpid " + gpid() + ": cannot fence the tree CRIU serves (" + error + "); should CRIU fail, it runs on");
        }
    }

    /**
     * Turns TCP repair mode off on descriptors of the tree (fds by task pid): a CRIU killed
     * mid-dump leaves the sockets it reached in repair mode, dead to the program.
     */
    public void repairOff(java.util.Map<Integer, java.util.List<Integer>> fdsByPid) {
        fdsByPid.forEach((pid, fds) -> {
            String error = launcher.repairOff(pid, fds);
            if (error != null) {
                LOG.warning("gpid " + gpid() + ": cannot turn TCP repair mode off on the sockets " + fds + " of pid " + pid
                        + " that a failed criu dump left in it: " + error);
            } else {
                LOG.info(() -> "gpid " + gpid() + ": the sockets " + fds + " of pid " + pid + " work again after the failed dump");
            }
        });
    }

    /** Lets a fenced tree run again: its move was called off. */
    public void unfence() {
        OptionalInt init = t.dir.readInitPid();
        if (init.isEmpty()) {
            return;
        }
        String error = launcher.signalAll(SIGCONT, ProcFs.namespaceMembers(init.getAsInt()));
        if (error != null) {
            LOG.warning("gpid " + gpid() + ": cannot continue the fenced tree: " + error);
        }
    }

    /** Is the dumped tree's init still alive (CRIU failed or left it running) or gone (dumped and ended)? */
    public boolean treeAlive() {
        return t.dir.readInitPid().stream().anyMatch(ProcFs::exists);
    }

    /** The dump failed or left the process running: its end is an ordinary exit again. */
    public void release() {
        synchronized (t) {
            t.dumping = null;
            try {
                Files.deleteIfExists(t.dir.criuPidFile());
                Files.deleteIfExists(t.dir.dumpingFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        watcher.check(t);
    }

    /**
     * Releases a process whose copy may already run elsewhere, and kills it here so that it
     * never runs twice; its end is reported as an exit.
     */
    public void releaseAndKill() {
        release();
        // Every task, the namespace's init among them: a fenced tree is stopped, and its stopped
        // init would never reap the program, so the tree (and its end) would stay for ever.
        OptionalInt init = t.dir.readInitPid();
        if (init.isPresent()) {
            launcher.signalAll(9, ProcFs.namespaceMembers(init.getAsInt()));
        }
        try {
            supervisor.signal(gpid(), 9);
        } catch (SupervisionException e) {
            LOG.info(() -> "gpid " + gpid() + " had ended already");
        }
    }

    /** The process now lives in the image (or on another node): forgotten here without an exit report. */
    public void handOver() {
        if (table.remove(t)) {
            t.dir.deleteRecursively();
            LOG.info(() -> "gpid " + gpid() + " left this node");
        }
    }
}
