package io.unum.agent.image;

import io.unum.agent.process.ProcessHandoff;
import io.unum.agent.process.ProcessView;
import io.unum.agent.process.Restoring;
import io.unum.agent.process.SupervisionException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Brings a process back from an image on this node, under a shim that supervises it from then on. */
final class ImageRestorer {

    private final ProcessHandoff handoff;
    private final ImageStore store;
    private final String node;
    private final PostCopy postCopy;

    ImageRestorer(ProcessHandoff handoff, ImageStore store, String node, PostCopy postCopy) {
        this.handoff = handoff;
        this.store = store;
        this.node = node;
        this.postCopy = postCopy;
    }

    /**
     * With a lazyPageServer the pages come from there after the process runs (post-copy); with
     * hold the tree stays stopped until released.
     */
    ProcessImages.Restored restore(Criu c, int gpid, String imageId, String lazyPageServer, boolean hold)
            throws SupervisionException {
        Optional<String> from = handoff.restoredFrom(gpid);
        Optional<ProcessView> current = handoff.get(gpid);
        if (current.isPresent() && current.get().running()) {
            if (from.isPresent() && from.get().equals(imageId)) {
                // A retried call: it is here already. A retry that no longer asks to hold lets it run.
                boolean held = current.get().held();
                if (held && !hold) {
                    handoff.release(gpid, imageId);
                    held = false;
                }
                return new ProcessImages.Restored(current.get().localPid(), 0, held);
            }
            throw new SupervisionException(SupervisionException.Reason.ALREADY_EXISTS,
                    "process " + gpid + " already runs on " + node);
        }
        Image image = store.find(imageId).orElseThrow(() -> new SupervisionException(
                SupervisionException.Reason.NOT_FOUND, "no image " + imageId + " on " + node));
        long t0 = System.nanoTime();
        Image.Meta meta;
        try {
            if (!image.consumeVerified()) {
                image.verify();
            }
            meta = image.meta();
        } catch (IOException e) {
            throw SupervisionException.precondition("cannot read image " + imageId + ": " + e.getMessage());
        }
        if (meta.gpid() != gpid) {
            throw new SupervisionException(SupervisionException.Reason.INVALID_ARGUMENT,
                    "image " + imageId + " holds process " + meta.gpid() + ", not " + gpid);
        }
        Restoring restoring = handoff.beginRestore(gpid);
        Path log = restoring.logFile("restore.log");
        Process lazyPages = null;
        try {
            boolean lazy = lazyPageServer != null && !lazyPageServer.isBlank();
            if (lazy) {
                lazyPages = postCopy.fetchPages(c, image, lazyPageServer, restoring.logFile("lazy-pages.log"));
            }
            List<String> cmd = c.restoreCommand(image.criuDir(), restoring.initPidFile(), log, meta.pipeInodes(), lazy, hold);
            restoring.write(image.spec(), image.outputDir(), meta.stdoutOffset(), meta.stderrOffset(), cmd);
        } catch (IOException e) {
            if (lazyPages != null) {
                lazyPages.destroyForcibly();
            }
            restoring.abandon();
            throw SupervisionException.precondition("cannot prepare the restore of " + gpid + ": " + e.getMessage());
        }
        try {
            Process daemon = lazyPages;
            Path daemonLog = restoring.logFile("lazy-pages.log");
            // The restore waits for the pages daemon's word; a daemon that failed never gives it.
            int pid = restoring.start(imageId, hold, c.restoreTimeout(), () -> daemon == null || daemon.isAlive()
                    || daemon.exitValue() == 0 ? Optional.empty()
                    : Optional.of("the pages of the post-copy move could not be fetched from " + lazyPageServer
                            + " (criu lazy-pages ended with status " + daemon.exitValue() + orNothing(Criu.errors(daemonLog)) + ")"));
            long millis = (System.nanoTime() - t0) / 1_000_000;
            if (lazyPages != null) {
                postCopy.pagesArriving(gpid, lazyPages, lazyPageServer, daemonLog, lazyRanges(image));
            }
            return new ProcessImages.Restored(pid, millis, hold);
        } catch (SupervisionException e) {
            String why = e.getMessage() + ": " + Criu.errors(log);
            if (lazyPages != null) {
                lazyPages.destroyForcibly(); // nothing will ask it for pages
            }
            restoring.abandon();
            throw SupervisionException.precondition(why);
        }
    }

    private static String orNothing(String said) {
        return said.isBlank() ? "" : ": " + said;
    }

    /** Read now: once the move is done the image here is deleted, and a daemon may fail after that. */
    private static List<MissingPages.Range> lazyRanges(Image image) {
        try {
            return MissingPages.lazyRanges(image.criuDir());
        } catch (IOException e) {
            return null;
        }
    }
}
