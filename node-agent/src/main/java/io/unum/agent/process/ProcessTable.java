package io.unum.agent.process;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The supervised processes by gpid, and where their proc-dirs live:
 * {@code <state-dir>/processes/<gpid>/}.
 */
final class ProcessTable {

    private final Path processesDir;
    private final Map<Integer, Tracked> tracked = new ConcurrentHashMap<>();

    ProcessTable(Path processesDir) {
        this.processesDir = processesDir;
        try {
            PrivateFiles.createDirectories(processesDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ProcDir dirOf(int gpid) {
        return new ProcDir(gpid, processesDir.resolve(Integer.toString(gpid)));
    }

    /** Null when the gpid is not supervised here. */
    Tracked get(int gpid) {
        return tracked.get(gpid);
    }

    Tracked require(int gpid) throws SupervisionException {
        Tracked t = tracked.get(gpid);
        if (t == null) {
            throw SupervisionException.notFound(gpid);
        }
        return t;
    }

    boolean contains(int gpid) {
        return tracked.containsKey(gpid);
    }

    Collection<Tracked> all() {
        return tracked.values();
    }

    void put(Tracked t) {
        tracked.put(t.dir.gpid(), t);
    }

    /** Null when the gpid was not supervised. */
    Tracked remove(int gpid) {
        return tracked.remove(gpid);
    }

    /** Removes t only if it is still the entry of its gpid; false when it was not. */
    boolean remove(Tracked t) {
        return tracked.remove(t.dir.gpid(), t);
    }

    static SupervisionException alreadyExists(int gpid) {
        return new SupervisionException(SupervisionException.Reason.ALREADY_EXISTS,
                "process " + gpid + " already exists on this node");
    }

    /** Rebuilds the table from the state dir (a restarted agent re-adopts its processes); returns what it adopted. */
    List<Tracked> adopt() {
        List<Tracked> adopted = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(processesDir)) {
            for (Path d : dirs) {
                int gpid;
                try {
                    gpid = Integer.parseInt(d.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                ProcDir dir = new ProcDir(gpid, d);
                if (!dir.has(dir.spec())) {
                    dir.deleteRecursively(); // an agent died between mkdir and spec: nothing ran
                    continue;
                }
                Tracked t = new Tracked(dir);
                t.dumping = dir.readDumping().orElse(null);
                OptionalInt shimPid = dir.readShimPid();
                if (shimPid.isPresent() && ProcFs.isShim(shimPid.getAsInt())) {
                    t.shim = ProcessHandle.of(shimPid.getAsInt()).orElse(null);
                }
                put(t);
                adopted.add(t);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return adopted;
    }
}
