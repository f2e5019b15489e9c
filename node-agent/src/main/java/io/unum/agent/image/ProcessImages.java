package io.unum.agent.image;

import io.unum.agent.process.Dumping;
import io.unum.agent.process.ProcessHandoff;
import io.unum.agent.process.SupervisionException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Dumps supervised processes into images and restores them, on this node. The supervisor keeps
 * the books through its {@link ProcessHandoff} (a dumped process's end is not an exit; a restored
 * one is supervised like any other), CRIU does the work, the image carries the output tail so
 * the stream continues at the same offsets wherever the process is restored. Post-copy moves are
 * {@link PostCopy}'s, restores {@link ImageRestorer}'s.
 */
public final class ProcessImages {

    private static final Logger LOG = Logger.getLogger(ProcessImages.class.getName());
    private static final long DUMP_TIMEOUT_SECONDS = 300;
    static final Duration SHIM_END_TIMEOUT = Duration.ofSeconds(30);

    /** What a dump produced; pageServerPort is 0 unless the dump is lazy. */
    public record Dumped(long imageBytes, long dumpMillis, int pageServerPort) {
    }

    /** What a restore produced. */
    public record Restored(int localPid, long restoreMillis) {
    }

    private final ProcessHandoff handoff;
    private final ImageStore store;
    private final Optional<Criu> criu;
    private final String node;
    private final PostCopy postCopy;
    private final ImageRestorer restorer;

    public ProcessImages(ProcessHandoff handoff, ImageStore store, Optional<Criu> criu, String node) {
        this.handoff = handoff;
        this.store = store;
        this.criu = criu;
        this.node = node;
        this.postCopy = new PostCopy(handoff, store, node);
        this.restorer = new ImageRestorer(handoff, store, node, postCopy);
    }

    public ImageStore store() {
        return store;
    }

    public Dumped dump(int gpid, String imageId, boolean leaveRunning) throws SupervisionException {
        Criu c = requireCriu();
        Begun begun = begin(gpid, imageId);
        Image partial = begun.partial();
        Dumping dumping = begun.dumping();
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(partial.criuDir());
            c.dump(dumping.initPid(), partial.criuDir(), leaveRunning, DUMP_TIMEOUT_SECONDS);
        } catch (CriuException | IOException e) {
            // CRIU leaves a tree it failed to dump running: the process goes on here.
            dumping.release();
            store.discard(partial);
            throw SupervisionException.precondition(e.getMessage());
        }
        long dumpMillis = (System.nanoTime() - t0) / 1_000_000;
        try {
            if (!leaveRunning) {
                dumping.awaitShimEnd(SHIM_END_TIMEOUT);
            }
            Dumping.Exported exported = dumping.export(partial.spec(), partial.outputDir());
            partial.writeMeta(new Image.Meta(gpid, exported.stdoutEnd(), exported.stderrEnd(), exported.pipeInodes()));
            long bytes = partial.seal();
            store.publish(partial);
            if (leaveRunning) {
                dumping.release();
            } else {
                dumping.handOver();
            }
            LOG.info(() -> "dumped gpid " + gpid + " into image " + imageId + ": " + bytes + " bytes, frozen "
                    + dumpMillis + " ms" + (leaveRunning ? ", left running" : ", stopped"));
            return new Dumped(bytes, dumpMillis, 0);
        } catch (IOException | RuntimeException e) {
            store.discard(partial);
            // Without a whole image the process cannot be brought back: let its end count as an exit.
            dumping.release();
            throw SupervisionException.precondition("image " + imageId + " could not be written: " + e.getMessage());
        }
    }

    /**
     * Post-copy: dumps everything but the memory pages, which CRIU keeps serving on a port until
     * a lazy restore elsewhere has fetched them all; then the process stops here without an exit.
     * Until then {@link #restore} of the same image here cancels the move and the process runs on.
     */
    public Dumped dumpLazy(int gpid, String imageId) throws SupervisionException {
        Criu c = requireCriu();
        Begun begun = begin(gpid, imageId);
        return postCopy.dump(c, begun.partial(), begun.dumping());
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

    /** Deletes an image, except one whose pages a post-copy dump still serves: that one goes when it is done. */
    public void delete(String imageId) {
        if (!postCopy.isServing(imageId)) {
            store.delete(imageId);
        }
    }

    /**
     * Settles dumps an earlier agent began: a process whose image is whole left this node; any
     * other is back to normal (running on, or ended with the status its shim recorded).
     */
    public void recoverInterruptedDumps() {
        for (Dumping d : handoff.interruptedDumps()) {
            boolean whole = store.find(d.imageId()).isPresent();
            if (whole) {
                d.handOver();
            } else {
                d.release();
            }
            LOG.info(() -> "dump of gpid " + d.gpid() + " into " + d.imageId() + " was interrupted: "
                    + (whole ? "its image is whole, the process left this node" : "no image, the process stays"));
        }
    }

    /**
     * Restores a process from an image here; restoring the image of a post-copy move away from
     * here that no restore took yet cancels the move instead.
     */
    public Restored restore(int gpid, String imageId, String lazyPageServer) throws SupervisionException {
        Criu c = requireCriu();
        ImageStore.checkId(imageId);
        Optional<Restored> cancelled = postCopy.cancel(gpid, imageId);
        if (cancelled.isPresent()) {
            return cancelled.get();
        }
        postCopy.awaitEarlierDump(gpid);
        return restorer.restore(c, gpid, imageId, lazyPageServer);
    }

    private Criu requireCriu() throws SupervisionException {
        return criu.orElseThrow(() -> SupervisionException.precondition("CRIU is not installed on node " + node
                + "; run scripts/install-criu.sh there and start the agent with --criu PATH"));
    }
}
