package io.unum.agent.image;

import io.unum.agent.net.PortGate;
import io.unum.agent.process.Dumping;
import io.unum.agent.process.SupervisionException;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Settles a dump an earlier agent began and did not finish, by the truth rather than by
 * assumption. Its CRIU ran in a session of its own and may still run: it is waited for first
 * (the process is DUMPING meanwhile). Then: an image that is whole (or that CRIU finished and
 * only the agent's part was missing, which is completed now) and a tree that is gone: the
 * process LEFT this node, not an exit. A tree still alive (CRIU failed or was killed, which lets
 * go of a seized tree; or a checkpoint left it running): it runs on. The tree gone and no image:
 * it ended, and its end is reported as an exit. A post-copy dump whose image was published and
 * whose CRIU still serves the pages is handed to {@link PostCopy}, as if this agent had begun it.
 */
final class DumpRecovery {

    private static final Logger LOG = Logger.getLogger(DumpRecovery.class.getName());

    private final ImageStore store;
    private final PostCopy postCopy;
    private final PortGate gate;

    DumpRecovery(ImageStore store, PostCopy postCopy, PortGate gate) {
        this.store = store;
        this.postCopy = postCopy;
        this.gate = gate;
    }

    private void discard(Image partial, Dumping d) {
        ProcessImages.releaseLockOfFailedDump(gate, partial, d);
        store.discard(partial);
    }

    void settle(Dumping d) {
        Dumping.RecordedCriu criu = d.recordedCriu();
        if (criu.cancelled()) {
            // An earlier agent called the move off and died while killing its CRIU: finish that.
            criu.process().ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
            store.find(d.imageId()).ifPresent(i -> store.delete(d.imageId()));
            store.findPartial(d.imageId()).ifPresent(p -> discard(p, d));
            d.release();
            d.unfence();
            LOG.info(() -> "gpid " + d.gpid() + ": the post-copy dump " + d.imageId() + " was called off before this agent"
                    + " started; " + (d.treeAlive() ? "the process runs on here" : "the tree is gone: its end is an exit"));
            return;
        }
        if (criu.process().isPresent()) {
            ProcessHandle p = criu.process().get();
            if (criu.lazy() && store.find(d.imageId()).isPresent()) {
                // A restore elsewhere may fetch its pages, or one here cancel it: it is served on.
                postCopy.adopt(d, p);
                return;
            }
            if (criu.lazy()) {
                // Its image never left the partial state, so no restore can ever fetch its pages.
                p.destroyForcibly();
            }
            LOG.info(() -> "gpid " + d.gpid() + ": the criu dump (pid " + p.pid() + ") an earlier agent began still runs; "
                    + "waiting for it");
            p.onExit().join();
        }
        boolean alive = d.treeAlive();
        String id = d.imageId();
        if (store.find(id).isEmpty()) {
            Optional<Image> partial = store.findPartial(id);
            if (partial.isPresent() && !criu.lazy() && Criu.dumpSucceeded(partial.get().criuDir())) {
                try {
                    long bytes = ProcessImages.finish(store, gate, partial.get(), d, alive, true).bytes();
                    LOG.info(() -> "gpid " + d.gpid() + ": criu had finished the interrupted dump; image " + id + " completed ("
                            + bytes + " bytes), " + (alive ? "the process runs on" : "the process left this node"));
                } catch (SupervisionException e) {
                    LOG.warning("gpid " + d.gpid() + ": cannot complete image " + id + ": " + e.getMessage());
                }
                return;
            }
            partial.ifPresent(p -> discard(p, d));
            d.release();
            if (alive) {
                LOG.info(() -> "gpid " + d.gpid() + ": the dump into " + id + " was interrupted without an image; "
                        + "criu let go of the tree and the process runs on");
            } else {
                LOG.warning("gpid " + d.gpid() + ": the dump into " + id + " was interrupted, no image was written and the "
                        + "tree is gone (criu stopped it, then died or failed): the process ended, reported as an exit");
            }
            return;
        }
        if (!alive) {
            d.handOver();
            LOG.info(() -> "gpid " + d.gpid() + ": the interrupted dump's image " + id + " is whole and the tree is gone: "
                    + "the process left this node");
        } else if (criu.lazy()) {
            // CRIU stopped serving pages, and the fence keeps the tree stopped: a restored copy may
            // run elsewhere, or none. Kept for the control plane's word, as if this agent had seen it.
            postCopy.adoptFenced(d);
        } else {
            d.release();
            LOG.info(() -> "gpid " + d.gpid() + ": image " + id + " is whole and the process was left running");
        }
    }
}
