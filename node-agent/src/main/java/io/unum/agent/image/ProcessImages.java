package io.unum.agent.image;

import io.unum.agent.files.PrivateFiles;
import io.unum.agent.net.ListeningSockets;
import io.unum.agent.net.PortGate;
import io.unum.agent.net.TcpConnections;
import io.unum.agent.process.Dumping;
import io.unum.agent.process.FileLocks;
import io.unum.agent.process.ProcessHandoff;
import io.unum.agent.process.SupervisionException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Dumps supervised processes into images and restores them, on this node. The supervisor keeps
 * the books through its {@link ProcessHandoff} (a dumped process's end is not an exit; a restored
 * one is supervised like any other), CRIU does the work, the image carries the output tail so
 * the stream continues at the same offsets wherever the process is restored. Post-copy moves are
 * {@link PostCopy}'s, restores {@link ImageRestorer}'s. A dump first shuts the {@link PortGate}
 * of the tree's listening ports and lets the program accept what already queued, so that clients
 * wait rather than fail and CRIU finds no connection in flight.
 */
public final class ProcessImages {

    private static final Logger LOG = Logger.getLogger(ProcessImages.class.getName());
    private static final long DUMP_TIMEOUT_SECONDS = 300;
    static final Duration SHIM_END_TIMEOUT = Duration.ofSeconds(30);
    /** How long the program gets to accept what queued behind a shut gate, unless it is still making progress. */
    static final Duration DRAIN = Duration.ofSeconds(2);
    /** The longest a program that keeps accepting, slowly, delays its dump. */
    static final Duration LONGEST_DRAIN = Duration.ofSeconds(10);

    /**
     * What a dump produced; pageServerPort is 0 unless the dump is lazy. criuStartNanos is when
     * CRIU was started (System.nanoTime): the process runs until then, whatever came before.
     * syncMillis: how long forcing the image to disk took (checkpoints only).
     */
    public record Dumped(long imageBytes, long dumpMillis, int pageServerPort, long criuStartNanos, long syncMillis) {
    }

    /** What a restore produced; held when the tree waits, stopped, for a release. */
    public record Restored(int localPid, long restoreMillis, boolean held) {
    }

    private final ProcessHandoff handoff;
    private final ImageStore store;
    private final Optional<Criu> criu;
    private final String node;
    private final PostCopy postCopy;
    private final ImageRestorer restorer;
    private final PortGate gate;
    private final MoveHooks hooks;

    /** Without a port gate: clients of a moving server are refused while it moves (tests). */
    public ProcessImages(ProcessHandoff handoff, ImageStore store, Optional<Criu> criu, String node) {
        this(handoff, store, criu, node, new PortGate(Optional.empty(), Path.of("/nonexistent"), node));
    }

    public ProcessImages(ProcessHandoff handoff, ImageStore store, Optional<Criu> criu, String node, PortGate gate) {
        this(handoff, store, criu, node, gate, MoveHooks.NONE);
    }

    public ProcessImages(ProcessHandoff handoff, ImageStore store, Optional<Criu> criu, String node, PortGate gate,
            MoveHooks hooks) {
        this.hooks = hooks;
        this.gate = gate;
        this.handoff = handoff;
        this.store = store;
        this.criu = criu;
        this.node = node;
        this.postCopy = new PostCopy(handoff, store, node, gate);
        this.restorer = new ImageRestorer(handoff, store, node, postCopy);
        Set<String> interrupted = handoff.interruptedDumps().stream().map(Dumping::imageId).collect(Collectors.toSet());
        store.clearPartials(interrupted);
        // A gate stays shut while its image is here or being dumped: the move may still go on,
        // and whoever runs the process again opens it. Every other gate an earlier agent left is opened.
        gate.openLeftovers(id -> interrupted.contains(id) || store.find(id).isPresent());
        gate.releaseLeftoverCriuLocks(id -> interrupted.contains(id) || store.find(id).isPresent());
    }

    public ImageStore store() {
        return store;
    }

    public Dumped dump(int gpid, String imageId, boolean leaveRunning) throws SupervisionException {
        return dump(gpid, imageId, leaveRunning, false);
    }

    /**
     * moving: the process moves to another node, and new connections to its listening ports wait
     * until it runs again (see {@link PortGate}); otherwise they wait only during the dump.
     */
    public Dumped dump(int gpid, String imageId, boolean leaveRunning, boolean moving) throws SupervisionException {
        Criu c = requireCriu();
        hooks.beforeDump(gpid);
        boolean stopped = false;
        try {
            Dumped d = dumpNow(c, gpid, imageId, leaveRunning, moving);
            stopped = !leaveRunning;
            return d;
        } finally {
            hooks.afterDump(gpid, !stopped);
        }
    }

    private Dumped dumpNow(Criu c, int gpid, String imageId, boolean leaveRunning, boolean moving) throws SupervisionException {
        Begun begun = begin(gpid, imageId);
        Image partial = begun.partial();
        Dumping dumping = begun.dumping();
        boolean skipInFlight = quietListeners(dumping.initPid(), imageId);
        long t0 = System.nanoTime();
        try {
            PrivateFiles.createDirectories(partial.criuDir());
            Process criuDump = c.startDump(dumping.initPid(), partial.criuDir(), leaveRunning, skipInFlight);
            dumping.criuStarted(criuDump, false);
            c.awaitDump(criuDump, partial.criuDir(), DUMP_TIMEOUT_SECONDS);
        } catch (CriuException | IOException e) {
            // CRIU leaves a tree it failed to dump running: the process goes on here.
            releaseLockOfFailedDump(gate, partial, dumping);
            dumping.release();
            store.discard(partial);
            gate.open(imageId);
            throw SupervisionException.precondition(e.getMessage());
        }
        long dumpMillis = (System.nanoTime() - t0) / 1_000_000;
        Finished finished;
        try {
            finished = finish(store, gate, partial, dumping, leaveRunning, !moving);
            if (!leaveRunning) {
                store.find(imageId).ifPresent(i -> gate.keepCriuLock(imageId, i.criuDir()));
            }
        } finally {
            if (leaveRunning || !moving || store.find(imageId).isEmpty()) {
                gate.open(imageId); // it runs on here, or is not coming back soon, or is lost without an image
            }
        }
        LOG.info(() -> "dumped gpid " + gpid + " into image " + imageId + ": " + finished.bytes() + " bytes, frozen "
                + dumpMillis + " ms" + (leaveRunning ? ", left running" : ", stopped")
                + (moving ? "" : "; synced to disk in " + finished.syncMillis() + " ms"));
        return new Dumped(finished.bytes(), dumpMillis, 0, t0, finished.syncMillis());
    }

    /**
     * Adds the agent's part to an image CRIU wrote (output, spec, meta, checksums) and publishes
     * it; then the process runs on here (leftRunning) or has left this node.
     */
    /** A published image: its size, and how long forcing it to disk took (0 when it was not). */
    record Finished(long bytes, long syncMillis) {
    }

    static Finished finish(ImageStore store, PortGate gate, Image partial, Dumping dumping, boolean leftRunning,
            boolean durable) throws SupervisionException {
        try {
            if (!leftRunning) {
                dumping.awaitShimEnd(SHIM_END_TIMEOUT);
            }
            Dumping.Exported exported = dumping.export(partial.spec(), partial.outputDir());
            partial.writeMeta(new Image.Meta(dumping.gpid(), exported.stdoutEnd(), exported.stderrEnd(), exported.pipeInodes()));
            long bytes = partial.seal();
            long t0 = System.nanoTime();
            if (durable) {
                partial.sync();
            }
            store.publish(partial, durable);
            long syncMillis = durable ? (System.nanoTime() - t0) / 1_000_000 : 0;
            if (leftRunning) {
                dumping.release();
            } else {
                dumping.handOver();
            }
            return new Finished(bytes, syncMillis);
        } catch (IOException | RuntimeException | SupervisionException e) {
            // Nothing will restore this dump: its connections must not stay locked (CRIU ended the tree, or left it running).
            releaseLockOfFailedDump(gate, partial, dumping);
            store.discard(partial);
            // Without a whole image the process cannot be brought back: let its end count as an exit.
            dumping.release();
            throw SupervisionException.precondition("image " + partial.id() + " could not be written: " + e.getMessage());
        }
    }

    /**
     * Before the partial image of a dump that failed goes (its log with it): removes the network
     * lock its CRIU left, if it was killed after taking it. A CRIU still dumping into it (the
     * shell above it died alone) is left its lock.
     */
    static void releaseLockOfFailedDump(PortGate gate, Image partial, Dumping dumping) {
        if (Criu.dumpRunning(partial.criuDir())) {
            LOG.warning("image " + partial.id() + ": a criu dump into it still runs; its network lock is left to it");
            return;
        }
        // As CRIU's own rollback: repair mode off on the locked sockets, then the lock goes.
        gate.releaseCriuLockOfFailedDump(partial.id(), PortGate.loggedRunId(Criu.logFile(partial.criuDir(), "dump")),
                locked -> {
                    if (dumping.treeAlive()) {
                        dumping.repairOff(TcpConnections.descriptorsOf(dumping.initPid(), locked));
                    }
                });
    }

    /**
     * Post-copy: dumps everything but the memory pages, which CRIU keeps serving on a port until
     * a lazy restore elsewhere has fetched them all; then the process stops here without an exit.
     * Until then {@link #restore} of the same image here cancels the move and the process runs on.
     */
    public Dumped dumpLazy(int gpid, String imageId) throws SupervisionException {
        Criu c = requireCriu();
        hooks.beforeDump(gpid);
        boolean frozen = false;
        try {
            Dumped d = dumpLazyNow(c, gpid, imageId);
            frozen = true; // until the target fetched its pages, or a restore here cancels the move
            return d;
        } finally {
            hooks.afterDump(gpid, !frozen);
        }
    }

    private Dumped dumpLazyNow(Criu c, int gpid, String imageId) throws SupervisionException {
        Begun begun = begin(gpid, imageId);
        List<FileLocks.Lock> locks = FileLocks.posixHeldByTree(begun.dumping().initPid());
        if (!locks.isEmpty()) {
            begun.dumping().release();
            store.discard(begun.partial());
            throw SupervisionException.precondition("process " + gpid + " holds POSIX file locks (" + locks.stream()
                    .map(FileLocks.Lock::toString).collect(Collectors.joining(", ")) + "); post-copy cannot move them: "
                    + "migrate it stop-and-copy");
        }
        int initPid = begun.dumping().initPid();
        boolean skipInFlight = quietListeners(initPid, imageId);
        // A server's connections in service end on their own once its gate is shut; a client's do not.
        List<String> connections = skipInFlight ? awaitNoConnections(initPid) : TcpConnections.heldByTree(initPid);
        if (!connections.isEmpty()) {
            gate.open(imageId);
            begun.dumping().release();
            store.discard(begun.partial());
            throw SupervisionException.precondition("process " + gpid + " holds TCP connections (" + String.join(", ",
                    connections) + "); post-copy cannot move them (the frozen source keeps its sockets while the "
                    + "target remakes them): migrate it stop-and-copy");
        }
        try {
            return postCopy.dump(c, begun.partial(), begun.dumping(), skipInFlight);
        } catch (SupervisionException | RuntimeException e) {
            gate.open(imageId); // the process runs on here
            throw e;
        }
    }

    /** The tree's TCP connections once they ended, or those left after {@link #DRAIN}. */
    private static List<String> awaitNoConnections(int initPid) {
        long deadline = System.nanoTime() + DRAIN.toNanos();
        List<String> connections = TcpConnections.heldByTree(initPid);
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            connections = TcpConnections.heldByTree(initPid);
        }
        return connections;
    }

    /**
     * Shuts the gate of the tree's listening ports (if it has any) and waits, while the program
     * runs, for it to accept the connections already queued or half open: CRIU cannot dump them.
     * True when the dump should leave out any still in flight rather than fail: after the bound,
     * or for one that completes between the last look and the freeze. Those clients lose their
     * connection (CRIU's source copy closes it), which the log says.
     */
    private boolean quietListeners(int initPid, String imageId) {
        ListeningSockets.Snapshot s = ListeningSockets.of(initPid);
        if (!s.any()) {
            return false;
        }
        if (!gate.shut(imageId, s.ports())) {
            return true; // new connections keep coming: draining would not end
        }
        long start = System.nanoTime();
        long deadline = start + DRAIN.toNanos();
        long longest = start + LONGEST_DRAIN.toNanos();
        int last = s.inFlight();
        while (last > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            int now = ListeningSockets.of(initPid).inFlight();
            if (now < last) {
                // Still accepting: give it another second, up to the longest drain.
                deadline = Math.min(longest, Math.max(deadline, System.nanoTime() + DRAIN.toNanos() / 2));
            }
            last = now;
        }
        int left = last;
        long waited = (System.nanoTime() - start) / 1_000_000;
        if (left > 0) {
            LOG.warning("image " + imageId + ": " + left + " connection(s) to ports " + s.ports() + " still wait to be "
                    + "accepted after " + waited + " ms; the dump leaves them out (criu --skip-in-flight) and their "
                    + "clients lose them");
        } else if (s.inFlight() > 0) {
            LOG.info(() -> "image " + imageId + ": the program accepted the " + s.inFlight() + " connection(s) that were "
                    + "waiting, in " + waited + " ms");
        }
        return true;
    }

    private record Begun(Image partial, Dumping dumping) {
    }

    /** A partial image for the dump, and the process handed over for dumping into it. */
    private Begun begin(int gpid, String imageId) throws SupervisionException {
        ImageStore.checkId(imageId);
        if (handoff.get(gpid).isEmpty()) {
            throw new SupervisionException(SupervisionException.Reason.NOT_FOUND, "no process with gpid " + gpid + " on " + node);
        }
        postCopy.awaitMemory(gpid);
        Image partial;
        try {
            partial = store.createPartial(imageId);
        } catch (FileAlreadyExistsException e) {
            throw new SupervisionException(SupervisionException.Reason.ALREADY_EXISTS, e.getMessage());
        } catch (IOException e) {
            throw SupervisionException.precondition("cannot create image " + imageId + ": " + e.getMessage());
        }
        try {
            return new Begun(partial, handoff.beginDump(gpid, imageId));
        } catch (SupervisionException e) {
            store.discard(partial);
            throw e;
        }
    }

    /**
     * Deletes an image: the move it was for is over. One whose pages a post-copy dump still serves
     * goes when it is done; one whose serving failed takes its fenced tree with it.
     */
    public void delete(String imageId) {
        if (!postCopy.moveOver(imageId)) {
            store.delete(imageId);
            gate.releaseCriuLock(imageId);
        }
        // The move is over: settled here or elsewhere. Only the gate this agent shut: during a
        // rollback the target deletes its copy before the source (on the same host) resumes.
        gate.openIfOurs(imageId);
    }

    /**
     * Settles, each on a thread of its own, the dumps an earlier agent began (see
     * {@link DumpRecovery}); the returned future completes once all are settled. Until then
     * those processes are DUMPING.
     */
    public CompletableFuture<Void> recoverInterruptedDumps() {
        DumpRecovery recovery = new DumpRecovery(store, postCopy, gate);
        List<CompletableFuture<Void>> settled = new ArrayList<>();
        for (Dumping d : handoff.interruptedDumps()) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    recovery.settle(d);
                    if (!postCopy.isServing(d.imageId()) && (d.treeAlive() || store.find(d.imageId()).isEmpty())) {
                        // It runs on here, or ended with no image to restore: nothing will open its gate.
                        gate.open(d.imageId());
                    }
                    if (!postCopy.isServing(d.imageId()) && store.find(d.imageId()).isEmpty()) {
                        gate.releaseCriuLock(d.imageId());
                    }
                    done.complete(null);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "settling the interrupted dump of gpid " + d.gpid() + " failed: " + e, e);
                    done.completeExceptionally(e);
                }
            }, "dump-recovery-" + d.gpid());
            t.setDaemon(true);
            t.start();
            settled.add(done);
        }
        return CompletableFuture.allOf(settled.toArray(CompletableFuture[]::new));
    }

    /** Lets a tree restored with hold from imageId run; idempotent. */
    public void release(int gpid, String imageId) throws SupervisionException {
        ImageStore.checkId(imageId);
        handoff.release(gpid, imageId);
        gate.open(imageId); // it runs here now: new connections may come in
    }

    /** What this node knows of gpid right now; see {@link Whereabouts}. */
    public Whereabouts describe(int gpid) {
        List<String> images = new ArrayList<>();
        for (Image image : store.all()) {
            try {
                if (image.meta().gpid() == gpid) {
                    images.add(image.id());
                }
            } catch (RuntimeException e) {
                // an image without readable meta holds nobody we could restore
            }
        }
        Optional<String> dumpingInto = handoff.dumpingInto(gpid);
        return Whereabouts.of(handoff.get(gpid), dumpingInto, dumpingInto.filter(postCopy::isServing).isPresent(), images);
    }

    /**
     * Restores a process from an image here; restoring the image of a post-copy move away from
     * here that no restore took yet cancels the move instead.
     */
    public Restored restore(int gpid, String imageId, String lazyPageServer) throws SupervisionException {
        return restore(gpid, imageId, lazyPageServer, false);
    }

    /** With hold the restored tree stays stopped here until released (the fence of a migration). */
    public Restored restore(int gpid, String imageId, String lazyPageServer, boolean hold) throws SupervisionException {
        Criu c = requireCriu();
        ImageStore.checkId(imageId);
        Optional<Restored> cancelled = postCopy.cancel(gpid, imageId);
        if (cancelled.isPresent()) {
            gate.open(imageId); // it runs on here
            hooks.restored(gpid);
            return cancelled.get();
        }
        postCopy.awaitEarlierDump(gpid);
        Restored restored = restorer.restore(c, gpid, imageId, lazyPageServer, hold);
        hooks.restored(gpid);
        if (!restored.held()) {
            gate.open(imageId);
        }
        return restored;
    }

    private Criu requireCriu() throws SupervisionException {
        return criu.orElseThrow(() -> SupervisionException.precondition("CRIU is not installed on node " + node
                + "; run scripts/install-criu.sh there and start the agent with --criu PATH"));
    }
}
