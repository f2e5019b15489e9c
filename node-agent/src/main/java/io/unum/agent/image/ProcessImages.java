package io.unum.agent.image;

import io.unum.agent.process.ProcDir;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.SupervisionException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Dumps supervised processes into images and restores them, on this node. The supervisor keeps
 * the books (a dumped process's end is not an exit; a restored one is supervised like any
 * other), CRIU does the work, the image carries the output tail so the stream continues at the
 * same offsets wherever the process is restored.
 */
public final class ProcessImages {

    private static final Logger LOG = Logger.getLogger(ProcessImages.class.getName());
    private static final long DUMP_TIMEOUT_SECONDS = 300;
    private static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(300);
    private static final Duration SHIM_END_TIMEOUT = Duration.ofSeconds(30);

    /** What a dump produced; pageServerPort is 0 unless the dump is lazy. */
    public record Dumped(long imageBytes, long dumpMillis, int pageServerPort) {
    }

    /** A post-copy dump whose CRIU still holds the process frozen and serves its pages. */
    private record LazyDump(int gpid, Process criu, java.util.concurrent.atomic.AtomicBoolean cancelled,
            java.util.concurrent.CompletableFuture<Void> settled) {
    }

    /** What a restore produced. */
    public record Restored(int localPid, long restoreMillis) {
    }

    private final ProcessSupervisor supervisor;
    private final ImageStore store;
    private final Optional<Criu> criu;
    private final String node;
    private final Map<String, LazyDump> lazyDumps = new java.util.concurrent.ConcurrentHashMap<>();
    /** Post-copy restores here whose pages are still arriving, by gpid: their daemons. */
    private final Map<Integer, Process> pagesArriving = new java.util.concurrent.ConcurrentHashMap<>();

    public ProcessImages(ProcessSupervisor supervisor, ImageStore store, Optional<Criu> criu, String node) {
        this.supervisor = supervisor;
        this.store = store;
        this.criu = criu;
        this.node = node;
    }

    public ImageStore store() {
        return store;
    }

    public Dumped dump(int gpid, String imageId, boolean leaveRunning) throws SupervisionException {
        Criu c = requireCriu();
        Begun begun = begin(gpid, imageId);
        Image partial = begun.partial();
        ProcessSupervisor.DumpTarget target = begun.target();
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(partial.criuDir());
            c.dump(target.initPid(), partial.criuDir(), leaveRunning, DUMP_TIMEOUT_SECONDS);
        } catch (CriuException | IOException e) {
            // CRIU leaves a tree it failed to dump running: the process goes on here.
            supervisor.endDump(gpid);
            store.discard(partial);
            throw SupervisionException.precondition(e.getMessage());
        }
        long dumpMillis = (System.nanoTime() - t0) / 1_000_000;
        try {
            if (!leaveRunning) {
                supervisor.awaitShimEnd(gpid, SHIM_END_TIMEOUT);
            }
            ProcDir dir = target.dir();
            Files.createDirectories(partial.outputDir());
            long stdoutEnd = copyOutput(dir.dir(), partial.outputDir(), "stdout");
            long stderrEnd = copyOutput(dir.dir(), partial.outputDir(), "stderr");
            Files.copy(dir.spec(), partial.spec());
            partial.writeMeta(new Image.Meta(gpid, stdoutEnd, stderrEnd, readPipes(dir)));
            long bytes = partial.seal();
            store.publish(partial);
            if (leaveRunning) {
                supervisor.endDump(gpid);
            } else {
                supervisor.detach(gpid);
            }
            LOG.info(() -> "dumped gpid " + gpid + " into image " + imageId + ": " + bytes + " bytes, frozen "
                    + dumpMillis + " ms" + (leaveRunning ? ", left running" : ", stopped"));
            return new Dumped(bytes, dumpMillis, 0);
        } catch (IOException | RuntimeException e) {
            store.discard(partial);
            // Without a whole image the process cannot be brought back: let its end count as an exit.
            supervisor.endDump(gpid);
            throw SupervisionException.precondition("image " + imageId + " could not be written: " + e.getMessage());
        }
    }

    private record Begun(Image partial, ProcessSupervisor.DumpTarget target) {
    }

    /** A partial image for the dump, and the process marked as being dumped into it. */
    private Begun begin(int gpid, String imageId) throws SupervisionException {
        ImageStore.checkId(imageId);
        if (supervisor.get(gpid).isEmpty()) {
            throw new SupervisionException(SupervisionException.Reason.NOT_FOUND, "no process with gpid " + gpid + " on " + node);
        }
        awaitMemory(gpid);
        Image partial;
        try {
            partial = store.createPartial(imageId);
        } catch (FileAlreadyExistsException e) {
            throw new SupervisionException(SupervisionException.Reason.ALREADY_EXISTS, e.getMessage());
        } catch (IOException e) {
            throw SupervisionException.precondition("cannot create image " + imageId + ": " + e.getMessage());
        }
        try {
            return new Begun(partial, supervisor.beginDump(gpid, imageId));
        } catch (SupervisionException e) {
            store.discard(partial);
            throw e;
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
        Image partial = begun.partial();
        ProcessSupervisor.DumpTarget target = begun.target();
        long t0 = System.nanoTime();
        Process criuDump;
        int port;
        try {
            Files.createDirectories(partial.criuDir());
            port = freePort();
            criuDump = c.startLazyDump(target.initPid(), partial.criuDir(), port);
            // One byte on its stdout once the images are written and the page server listens.
            if (criuDump.getInputStream().read() < 0) {
                criuDump.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
                throw new CriuException("criu dump failed: " + Criu.errors(Criu.logFile(partial.criuDir(), "dump")));
            }
        } catch (CriuException | IOException e) {
            supervisor.endDump(gpid);
            store.discard(partial);
            throw SupervisionException.precondition(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            supervisor.endDump(gpid);
            store.discard(partial);
            throw SupervisionException.precondition("interrupted during criu dump");
        }
        long dumpMillis = (System.nanoTime() - t0) / 1_000_000;
        try {
            long[] ends = supervisor.drainOutput(gpid, SHIM_END_TIMEOUT);
            ProcDir dir = target.dir();
            Files.createDirectories(partial.outputDir());
            copyOutput(dir.dir(), partial.outputDir(), "stdout");
            copyOutput(dir.dir(), partial.outputDir(), "stderr");
            Files.copy(dir.spec(), partial.spec());
            partial.writeMeta(new Image.Meta(gpid, ends[0], ends[1], readPipes(dir)));
            long bytes = partial.seal();
            store.publish(partial);
            LazyDump lazy = new LazyDump(gpid, criuDump, new java.util.concurrent.atomic.AtomicBoolean(),
                    new java.util.concurrent.CompletableFuture<>());
            lazyDumps.put(imageId, lazy);
            Thread waiter = new Thread(() -> awaitLazyDump(imageId, lazy), "lazy-dump-" + imageId);
            waiter.setDaemon(true);
            waiter.start();
            LOG.info(() -> "dumped gpid " + gpid + " into image " + imageId + " without its pages: " + bytes
                    + " bytes in " + dumpMillis + " ms; serving the pages on port " + port);
            return new Dumped(bytes, dumpMillis, port);
        } catch (IOException | RuntimeException | SupervisionException e) {
            criuDump.destroyForcibly(); // CRIU's death releases the frozen tree: it runs on here
            store.discard(partial);
            supervisor.endDump(gpid);
            throw SupervisionException.precondition("image " + imageId + " could not be written: " + e.getMessage());
        }
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
        int code;
        try {
            code = lazy.criu().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        lazyDumps.remove(imageId, lazy);
        if (lazy.cancelled().get()) {
            return; // the canceller resumed it
        }
        if (code == 0) {
            // Every page went to the target; CRIU ended the tree here.
            try {
                supervisor.awaitShimEnd(lazy.gpid(), SHIM_END_TIMEOUT);
            } catch (SupervisionException e) {
                LOG.warning(e.getMessage());
            }
            supervisor.detach(lazy.gpid());
            LOG.info(() -> "post-copy image " + imageId + ": every page was sent; gpid " + lazy.gpid() + " left this node");
        } else {
            // CRIU resumes a tree it failed to serve, but a copy may already run on the target,
            // where it now lacks pages: never let two run. The process is lost; its end is reported.
            LOG.warning("post-copy image " + imageId + ": serving pages failed (criu exit " + code + "); stopping gpid "
                    + lazy.gpid() + " here so that it never runs twice");
            supervisor.endDump(lazy.gpid());
            try {
                supervisor.signal(lazy.gpid(), 9);
            } catch (SupervisionException e) {
                LOG.info(() -> "gpid " + lazy.gpid() + " had ended already");
            }
        }
        store.delete(imageId);
    }

    /** Deletes an image, except one whose pages a post-copy dump still serves: that one goes when it is done. */
    public void delete(String imageId) {
        if (!lazyDumps.containsKey(imageId)) {
            store.delete(imageId);
        }
    }

    /** Cancels a post-copy dump that no restore took yet: CRIU lets go and the process runs on here. */
    private Optional<Restored> cancelLazyDump(int gpid, String imageId) {
        LazyDump lazy = lazyDumps.get(imageId);
        if (lazy == null || lazy.gpid() != gpid) {
            return Optional.empty();
        }
        lazy.cancelled().set(true);
        lazy.criu().destroyForcibly();
        try {
            lazy.criu().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        supervisor.endDump(gpid);
        store.delete(imageId);
        LOG.info(() -> "post-copy dump " + imageId + " cancelled: gpid " + gpid + " runs on here");
        return Optional.of(new Restored(supervisor.get(gpid).map(v -> v.localPid()).orElse(0), 0));
    }

    /**
     * A process that comes back right after a post-copy move away from here is still held frozen
     * here until its last pages went over: wait for that copy to go before restoring the new one.
     */
    private void awaitEarlierLazyDump(int gpid) throws SupervisionException {
        for (LazyDump lazy : lazyDumps.values()) {
            if (lazy.gpid() == gpid) {
                try {
                    lazy.settled().get(SHIM_END_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw SupervisionException.precondition("process " + gpid + " is still sending its memory from " + node
                            + " after an earlier post-copy move; retry in a moment");
                } catch (java.util.concurrent.ExecutionException e) {
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
    private void awaitMemory(int gpid) throws SupervisionException {
        Process daemon = pagesArriving.get(gpid);
        if (daemon == null) {
            return;
        }
        try {
            if (!daemon.waitFor(SHIM_END_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw SupervisionException.precondition("process " + gpid + " is still receiving its memory after a "
                        + "post-copy migration; retry in a moment");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw SupervisionException.precondition("interrupted");
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Settles dumps an earlier agent began: a process whose image is whole left this node; any
     * other is back to normal (running on, or ended with the status its shim recorded).
     */
    public void recoverInterruptedDumps() {
        for (Map.Entry<Integer, String> d : supervisor.interruptedDumps().entrySet()) {
            boolean whole = store.find(d.getValue()).isPresent();
            if (whole) {
                supervisor.detach(d.getKey());
            } else {
                supervisor.endDump(d.getKey());
            }
            LOG.info(() -> "dump of gpid " + d.getKey() + " into " + d.getValue() + " was interrupted: "
                    + (whole ? "its image is whole, the process left this node" : "no image, the process stays"));
        }
    }

    public Restored restore(int gpid, String imageId, String lazyPageServer) throws SupervisionException {
        Criu c = requireCriu();
        ImageStore.checkId(imageId);
        Optional<Restored> cancelled = cancelLazyDump(gpid, imageId);
        if (cancelled.isPresent()) {
            return cancelled.get();
        }
        awaitEarlierLazyDump(gpid);
        Optional<String> from = supervisor.restoredFrom(gpid);
        var current = supervisor.get(gpid);
        if (current.isPresent() && current.get().running()) {
            if (from.isPresent() && from.get().equals(imageId)) {
                return new Restored(current.get().localPid(), 0); // a retried call: it runs already
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
        ProcDir dir = supervisor.prepareRestore(gpid);
        Path log = dir.dir().resolve("restore.log");
        Process lazyPages = null;
        try {
            Files.copy(image.spec(), dir.spec());
            try (Stream<Path> files = Files.list(image.outputDir())) {
                for (Path f : files.toList()) {
                    Files.copy(f, dir.dir().resolve(f.getFileName()));
                }
            }
            boolean lazy = lazyPageServer != null && !lazyPageServer.isBlank();
            if (lazy) {
                lazyPages = startLazyPages(c, image, lazyPageServer, dir.dir().resolve("lazy-pages.log"));
            }
            List<String> cmd = c.restoreCommand(image.criuDir(), dir.initPidFile(), log, meta.pipeInodes(), lazy);
            ByteArrayOutputStream spec = new ByteArrayOutputStream();
            field(spec, "unum-restore-1");
            field(spec, Long.toString(meta.stdoutOffset()));
            field(spec, Long.toString(meta.stderrOffset()));
            field(spec, Integer.toString(cmd.size()));
            cmd.forEach(a -> field(spec, a));
            Files.write(dir.restoreFile(), spec.toByteArray());
        } catch (IOException e) {
            if (lazyPages != null) {
                lazyPages.destroyForcibly();
            }
            supervisor.abandonRestore(dir);
            throw SupervisionException.precondition("cannot prepare the restore of " + gpid + ": " + e.getMessage());
        }
        try {
            int pid = supervisor.startRestored(dir, imageId, RESTORE_TIMEOUT);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            if (lazyPages != null) {
                Process daemon = lazyPages;
                pagesArriving.put(gpid, daemon);
                daemon.onExit().thenRun(() -> pagesArriving.remove(gpid, daemon));
            }
            return new Restored(pid, millis);
        } catch (SupervisionException e) {
            String why = e.getMessage() + ": " + Criu.errors(log);
            if (lazyPages != null) {
                lazyPages.destroyForcibly(); // nothing will ask it for pages
            }
            supervisor.abandonRestore(dir);
            throw SupervisionException.precondition(why);
        }
    }

    /** The daemon that feeds a post-copy restore its pages; it ends once it has them all. */
    private Process startLazyPages(Criu c, Image image, String pageServer, Path log) throws IOException {
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

    private Criu requireCriu() throws SupervisionException {
        return criu.orElseThrow(() -> SupervisionException.precondition("CRIU is not installed on node " + node
                + "; run scripts/install-criu.sh there and start the agent with --criu PATH"));
    }

    /** Copies a stream's segments; returns the offset where the stream continues. */
    private static long copyOutput(Path procDir, Path outputDir, String stream) throws IOException {
        long end = 0;
        try (DirectoryStream<Path> segs = Files.newDirectoryStream(procDir, stream + ".*")) {
            for (Path seg : segs) {
                long start;
                try {
                    start = Long.parseLong(seg.getFileName().toString().substring(stream.length() + 1));
                } catch (NumberFormatException e) {
                    continue;
                }
                try {
                    Files.copy(seg, outputDir.resolve(seg.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    end = Math.max(end, start + Files.size(outputDir.resolve(seg.getFileName())));
                } catch (java.nio.file.NoSuchFileException e) {
                    // rotated away by a shim that still runs (a checkpoint that leaves it running)
                }
            }
        }
        return end;
    }

    private static long[] readPipes(ProcDir dir) throws IOException {
        String s = Files.readString(dir.pipesFile(), StandardCharsets.UTF_8).trim();
        return Stream.of(s.split("\\s+")).mapToLong(Long::parseLong).toArray();
    }

    private static void field(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }
}
