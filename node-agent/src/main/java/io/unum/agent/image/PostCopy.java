package io.unum.agent.image;

import io.unum.agent.files.PrivateFiles;
import io.unum.agent.net.PortGate;
import io.unum.agent.process.Dumping;
import io.unum.agent.process.ProcessHandoff;
import io.unum.agent.process.ProcessView;
import io.unum.agent.process.SupervisionException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Post-copy moves on this node: as the source, a dump whose CRIU holds the process frozen and
 * serves its pages until the target has them all; as the target, the daemon that fetches them.
 */
final class PostCopy {

    private static final Logger LOG = Logger.getLogger(PostCopy.class.getName());
    private static final long SETTLE_MILLIS = ProcessImages.SHIM_END_TIMEOUT.toMillis();
    /** How long a fenced tree waits for the control plane's word before it is ended (it never runs twice). */
    private static final java.time.Duration FENCE_DECISION = java.time.Duration.ofMinutes(10);

    /**
     * A post-copy dump whose CRIU still holds the process frozen and serves its pages, or whose
     * CRIU ended without sending them all and left the tree stopped by the fence (fenced), waiting
     * for the control plane's word. child is CRIU as this agent's child (its exit status says
     * whether every page went over); empty for the CRIU of an earlier agent, adopted after a
     * restart. moveOver: the control plane deleted the image here, so the move went through (or
     * was given up) and the copy here must never run again.
     */
    private record LazyDump(Dumping dumping, Optional<ProcessHandle> criu, Optional<Process> child, AtomicBoolean cancelled,
            AtomicBoolean moveOver, AtomicBoolean fenced, CompletableFuture<Void> settled) {
        LazyDump(Dumping dumping, Optional<ProcessHandle> criu, Optional<Process> child) {
            this(dumping, criu, child, new AtomicBoolean(), new AtomicBoolean(), new AtomicBoolean(), new CompletableFuture<>());
        }

        /** After CRIU ended: did it send every page (and end the tree here)? */
        boolean served() {
            // CRIU ends the tree once every page went over and lets go of it when serving failed.
            return child.map(PostCopy::succeeded).orElseGet(() -> !dumping.treeAlive());
        }
    }

    private final ProcessHandoff handoff;
    private final ImageStore store;
    private final String node;
    private final PortGate gate;
    private final Map<String, LazyDump> lazyDumps = new ConcurrentHashMap<>();
    /** Post-copy restores here whose pages are still arriving, by gpid: their daemons. */
    private final Map<Integer, Process> pagesArriving = new ConcurrentHashMap<>();

    PostCopy(ProcessHandoff handoff, ImageStore store, String node, PortGate gate) {
        this.handoff = handoff;
        this.store = store;
        this.node = node;
        this.gate = gate;
    }

    /** Dumps all but the pages into partial and starts serving the pages; see ProcessImages.dumpLazy. */
    ProcessImages.Dumped dump(Criu c, Image partial, Dumping dumping, boolean skipInFlight) throws SupervisionException {
        int gpid = dumping.gpid();
        String imageId = partial.id();
        long t0 = System.nanoTime();
        Process criuDump;
        int port;
        try {
            PrivateFiles.createDirectories(partial.criuDir());
            port = freePort();
            criuDump = c.startLazyDump(dumping.initPid(), partial.criuDir(), port, skipInFlight);
            dumping.criuStarted(criuDump, true);
            // One byte on its stdout once the images are written and the page server listens.
            if (criuDump.getInputStream().read() < 0) {
                criuDump.waitFor(30, TimeUnit.SECONDS);
                throw new CriuException(c.dumpFailure(Criu.logFile(partial.criuDir(), "dump"),
                        criuDump.isAlive() ? 0 : criuDump.exitValue()));
            }
        } catch (CriuException | IOException e) {
            ProcessImages.releaseLockOfFailedDump(gate, partial, dumping);
            dumping.release();
            store.discard(partial);
            throw SupervisionException.precondition(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ProcessImages.releaseLockOfFailedDump(gate, partial, dumping);
            dumping.release();
            store.discard(partial);
            throw SupervisionException.precondition("interrupted during criu dump");
        }
        long dumpMillis = (System.nanoTime() - t0) / 1_000_000;
        try {
            long[] ends = dumping.drainOutput(ProcessImages.SHIM_END_TIMEOUT);
            Dumping.Exported exported = dumping.export(partial.spec(), partial.outputDir());
            partial.writeMeta(new Image.Meta(gpid, ends[0], ends[1], exported.pipeInodes()));
            long bytes = partial.seal();
            store.publish(partial);
            store.find(imageId).ifPresent(i -> gate.keepCriuLock(imageId, i.criuDir()));
            dumping.fence();
            serve(imageId, new LazyDump(dumping, Optional.of(criuDump.toHandle()), Optional.of(criuDump)));
            LOG.info(() -> "dumped gpid " + gpid + " into image " + imageId + " without its pages: " + bytes
                    + " bytes in " + dumpMillis + " ms; serving the pages on port " + port);
            return new ProcessImages.Dumped(bytes, dumpMillis, port, t0, 0);
        } catch (IOException | RuntimeException | SupervisionException e) {
            Criu.killAndWait(criuDump); // CRIU's death releases the frozen tree: it runs on here
            ProcessImages.releaseLockOfFailedDump(gate, partial, dumping);
            store.discard(partial);
            dumping.release();
            dumping.unfence();
            throw SupervisionException.precondition("image " + imageId + " could not be written: " + e.getMessage());
        }
    }

    /**
     * The post-copy dump an earlier agent began, whose image it published and whose CRIU still
     * serves the pages: served on as if this agent had begun it, so that a restore here cancels it
     * and its end settles the process, rather than the process staying DUMPING until some
     * restore elsewhere fetches the pages.
     */
    void adopt(Dumping dumping, ProcessHandle criu) {
        dumping.fence(); // again: the earlier agent may have died before it fenced
        serve(dumping.imageId(), new LazyDump(dumping, Optional.of(criu), Optional.empty()));
        LOG.info(() -> "gpid " + dumping.gpid() + ": the post-copy dump " + dumping.imageId() + " an earlier agent began "
                + "still serves its pages (criu pid " + criu.pid() + ")");
    }

    /**
     * The post-copy dump an earlier agent began whose CRIU ended before every page was sent,
     * leaving the tree fenced: kept for the control plane's word, like one this agent saw fail.
     */
    void adoptFenced(Dumping dumping) {
        dumping.fence(); // in case the earlier agent died before it fenced: then the tree runs, and stops now
        LazyDump lazy = new LazyDump(dumping, Optional.empty(), Optional.empty());
        lazyDumps.put(dumping.imageId(), lazy);
        holdFenced(dumping.imageId(), lazy);
        lazy.settled().complete(null);
        LOG.info(() -> "gpid " + dumping.gpid() + ": the post-copy dump " + dumping.imageId() + " an earlier agent began "
                + "ended before every page was sent; the tree stays stopped until the control plane says where it runs");
    }

    private void serve(String imageId, LazyDump lazy) {
        lazyDumps.put(imageId, lazy);
        Thread waiter = new Thread(() -> awaitLazyDump(imageId, lazy), "lazy-dump-" + imageId);
        waiter.setDaemon(true);
        waiter.start();
    }

    /** Waits for a post-copy dump's CRIU to finish serving pages, then settles the process's fate here. */
    private void awaitLazyDump(String imageId, LazyDump lazy) {
        try {
            settleLazyDump(imageId, lazy);
        } finally {
            lazy.settled().complete(null);
        }
    }

    private void settleLazyDump(String imageId, LazyDump lazy) {
        lazy.criu().ifPresent(c -> c.onExit().join());
        if (lazy.cancelled().get()) {
            lazyDumps.remove(imageId, lazy);
            return; // the canceller resumed it
        }
        Dumping dumping = lazy.dumping();
        if (lazy.served()) {
            lazyDumps.remove(imageId, lazy);
            // Every page went to the target; CRIU ended the tree here.
            try {
                dumping.awaitShimEnd(ProcessImages.SHIM_END_TIMEOUT);
            } catch (SupervisionException e) {
                LOG.warning(e.getMessage());
            }
            dumping.handOver();
            LOG.info(() -> "post-copy image " + imageId + ": every page was sent; gpid " + dumping.gpid() + " left this node");
            forget(imageId);
            return;
        }
        holdFenced(imageId, lazy);
    }

    /**
     * CRIU let go of the tree before every page went over (it failed, or was killed), and the
     * fence stopped it. A copy restored on the target may already run, lacking those pages, or no
     * restore took the image at all: only the control plane knows. A restore of the image here
     * (the move called off) resumes the tree; the image's deletion (the move went through) ends
     * it. Until then it stays stopped, at most {@link #FENCE_DECISION}.
     */
    private void holdFenced(String imageId, LazyDump lazy) {
        Dumping dumping = lazy.dumping();
        synchronized (lazy) {
            lazy.fenced().set(true);
            if (lazy.moveOver().get()) {
                endFenced(imageId, lazy, "its move had gone through");
                return;
            }
        }
        LOG.warning("post-copy image " + imageId + ": serving pages failed; gpid " + dumping.gpid() + " stays stopped here "
                + "until the control plane says whether a copy runs elsewhere");
        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(FENCE_DECISION.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            synchronized (lazy) {
                if (lazyDumps.get(imageId) == lazy) {
                    endFenced(imageId, lazy, "no word on its move came within " + FENCE_DECISION.toMinutes() + " minutes");
                }
            }
        }, "fence-deadline-" + imageId);
        deadline.setDaemon(true);
        deadline.start();
    }

    /** Ends the fenced copy here: a copy may run elsewhere, so this one never runs again. */
    private void endFenced(String imageId, LazyDump lazy, String why) {
        lazyDumps.remove(imageId, lazy);
        LOG.warning("post-copy image " + imageId + ": stopping gpid " + lazy.dumping().gpid() + " here (" + why
                + "), so that it never runs twice");
        lazy.dumping().releaseAndKill();
        forget(imageId);
    }

    /** The image of a post-copy dump that is over, and CRIU's network lock of it. */
    private void forget(String imageId) {
        store.delete(imageId);
        gate.releaseCriuLock(imageId);
    }

    /**
     * The control plane deleted imageId here: its move went through or was given up, and the
     * copy here must never run again. True if a post-copy dump holds the image: a fenced one is
     * ended now; one still serving deletes it once it is done (and is ended, should serving fail).
     */
    boolean moveOver(String imageId) {
        LazyDump lazy = lazyDumps.get(imageId);
        if (lazy == null) {
            return false;
        }
        synchronized (lazy) {
            lazy.moveOver().set(true);
            if (lazy.fenced().get() && lazyDumps.get(imageId) == lazy) {
                endFenced(imageId, lazy, "its move went through");
            }
        }
        return true;
    }

    private static boolean succeeded(Process criu) {
        try {
            return criu.waitFor() == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** True while a post-copy dump serves the pages of imageId, or holds its tree fenced after serving failed. */
    boolean isServing(String imageId) {
        return lazyDumps.containsKey(imageId);
    }

    /**
     * Cancels a post-copy dump that no restore took yet, or whose serving failed and left the tree
     * fenced: CRIU lets go (killed, if it still serves) and the process runs on here.
     */
    Optional<ProcessImages.Restored> cancel(int gpid, String imageId) {
        LazyDump lazy = lazyDumps.get(imageId);
        if (lazy == null || lazy.dumping().gpid() != gpid) {
            return Optional.empty();
        }
        synchronized (lazy) {
            if (lazy.moveOver().get() || lazyDumps.get(imageId) != lazy) {
                return Optional.empty(); // the move went through: this copy is not to run
            }
            lazy.cancelled().set(true);
        }
        lazy.dumping().criuCancelled();
        try {
            if (lazy.criu().isPresent()) {
                lazy.criu().get().destroyForcibly();
                lazy.criu().get().onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warning("post-copy dump " + imageId + ": criu did not end within 30 s of its kill");
        }
        lazyDumps.remove(imageId, lazy);
        lazy.dumping().release();
        lazy.dumping().unfence();
        forget(imageId);
        LOG.info(() -> "post-copy dump " + imageId + " cancelled: gpid " + gpid + " runs on here");
        return Optional.of(new ProcessImages.Restored(handoff.get(gpid).map(ProcessView::localPid).orElse(0), 0, false));
    }

    /**
     * A process that comes back right after a post-copy move away from here is still held frozen
     * here until its last pages went over: wait for that copy to go before restoring the new one.
     */
    void awaitEarlierDump(int gpid) throws SupervisionException {
        for (LazyDump lazy : lazyDumps.values()) {
            if (lazy.dumping().gpid() == gpid) {
                try {
                    lazy.settled().get(SETTLE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw SupervisionException.precondition("process " + gpid + " is still sending its memory from " + node
                            + " after an earlier post-copy move; retry in a moment");
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw SupervisionException.precondition("interrupted");
                }
            }
        }
    }

    /**
     * A process restored post-copy has part of its memory still on its old node: dumping it then
     * would write an image without those pages. Waits until they all arrived.
     */
    void awaitMemory(int gpid) throws SupervisionException {
        Process daemon = pagesArriving.get(gpid);
        if (daemon == null) {
            return;
        }
        try {
            if (!daemon.waitFor(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) {
                throw SupervisionException.precondition("process " + gpid + " is still receiving its memory after a "
                        + "post-copy migration; retry in a moment");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw SupervisionException.precondition("interrupted");
        }
    }

    /** The daemon that feeds a post-copy restore its pages; it ends once it has them all. */
    Process fetchPages(Criu c, Image image, String pageServer, Path log) throws IOException {
        int colon = pageServer.lastIndexOf(':');
        String host = pageServer.substring(0, colon);
        int port = Integer.parseInt(pageServer.substring(colon + 1));
        Process daemon;
        try {
            daemon = c.startLazyPages(image.criuDir(), host, port, log);
        } catch (CriuException e) {
            throw new IOException(e.getMessage());
        }
        daemon.onExit().thenAccept(p -> {
            if (p.exitValue() == 0) {
                LOG.info(() -> "image " + image.id() + ": every page arrived from " + pageServer);
            } else {
                LOG.warning("image " + image.id() + ": fetching pages from " + pageServer + " failed: " + Criu.errors(log));
            }
        });
        return daemon;
    }

    /** A restore of gpid whose pages daemon still fetches them: a dump waits for it. */
    void pagesArriving(int gpid, Process daemon, String pageServer, Path log, List<MissingPages.Range> lazy) {
        pagesArriving.put(gpid, daemon);
        handoff.pagesArriving(gpid, true);
        daemon.onExit().thenRun(() -> {
            pagesArriving.remove(gpid, daemon);
            try {
                settlePages(gpid, daemon, pageServer, log, lazy);
            } finally {
                handoff.pagesArriving(gpid, false);
            }
        });
    }

    private void settlePages(int gpid, Process daemon, String pageServer, Path log, List<MissingPages.Range> lazy) {
        if (daemon.exitValue() == 0) {
            return;
        }
        // CRIU leaves the pages that did not arrive unregistered: the program would read zeros
        // where its memory was, and run on corrupt. It must not run another instruction.
        String said = Criu.errors(log);
        String base = "lost after its post-copy move to " + node + ": part of its memory could not be fetched "
                + "from the page server " + pageServer + " on its old node (criu lazy-pages ended with status "
                + daemon.exitValue() + (said.isBlank() ? "" : ": " + said) + "); it cannot run on without it, so it "
                + "was ended (a program that touches a missing page reads zeros, and may crash before that)";
        handoff.end(gpid, tasks -> {
            if (tasks == null) {
                return base + "; it had ended before the pages it lacked could be read";
            }
            if (lazy == null) {
                return base + "; which pages were missing is not known (the image's page map could not be read)";
            }
            try {
                return base + "; " + MissingPages.of(lazy, tasks).describe();
            } catch (IOException e) {
                return base + "; which pages were missing is not known (" + e.getMessage() + ")";
            }
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
