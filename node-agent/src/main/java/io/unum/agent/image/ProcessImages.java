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

    /** What a dump produced. */
    public record Dumped(long imageBytes, long dumpMillis) {
    }

    /** What a restore produced. */
    public record Restored(int localPid, long restoreMillis) {
    }

    private final ProcessSupervisor supervisor;
    private final ImageStore store;
    private final Optional<Criu> criu;
    private final String node;

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
        ImageStore.checkId(imageId);
        if (supervisor.get(gpid).isEmpty()) {
            throw new SupervisionException(SupervisionException.Reason.NOT_FOUND, "no process with gpid " + gpid + " on " + node);
        }
        Image partial;
        try {
            partial = store.createPartial(imageId);
        } catch (FileAlreadyExistsException e) {
            throw new SupervisionException(SupervisionException.Reason.ALREADY_EXISTS, e.getMessage());
        } catch (IOException e) {
            throw SupervisionException.precondition("cannot create image " + imageId + ": " + e.getMessage());
        }
        ProcessSupervisor.DumpTarget target;
        try {
            target = supervisor.beginDump(gpid, imageId);
        } catch (SupervisionException e) {
            store.discard(partial);
            throw e;
        }
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
            return new Dumped(bytes, dumpMillis);
        } catch (IOException | RuntimeException e) {
            store.discard(partial);
            // Without a whole image the process cannot be brought back: let its end count as an exit.
            supervisor.endDump(gpid);
            throw SupervisionException.precondition("image " + imageId + " could not be written: " + e.getMessage());
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

    public Restored restore(int gpid, String imageId) throws SupervisionException {
        Criu c = requireCriu();
        ImageStore.checkId(imageId);
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
            image.verify();
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
        try {
            Files.copy(image.spec(), dir.spec());
            try (Stream<Path> files = Files.list(image.outputDir())) {
                for (Path f : files.toList()) {
                    Files.copy(f, dir.dir().resolve(f.getFileName()));
                }
            }
            List<String> cmd = c.restoreCommand(image.criuDir(), dir.initPidFile(), log, meta.pipeInodes());
            ByteArrayOutputStream spec = new ByteArrayOutputStream();
            field(spec, "unum-restore-1");
            field(spec, Long.toString(meta.stdoutOffset()));
            field(spec, Long.toString(meta.stderrOffset()));
            field(spec, Integer.toString(cmd.size()));
            cmd.forEach(a -> field(spec, a));
            Files.write(dir.restoreFile(), spec.toByteArray());
        } catch (IOException e) {
            supervisor.abandonRestore(dir);
            throw SupervisionException.precondition("cannot prepare the restore of " + gpid + ": " + e.getMessage());
        }
        try {
            int pid = supervisor.startRestored(dir, imageId, RESTORE_TIMEOUT);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            return new Restored(pid, millis);
        } catch (SupervisionException e) {
            String why = e.getMessage() + ": " + Criu.errors(log);
            supervisor.abandonRestore(dir);
            throw SupervisionException.precondition(why);
        }
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
