package io.unum.agent.process;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** The supervisor's side of dumps and restores. */
final class SupervisorHandoff implements ProcessHandoff {

    private final ProcessSupervisor supervisor;
    private final ProcessTable table;
    private final ExitWatcher watcher;
    private final ShimLauncher launcher;

    SupervisorHandoff(ProcessSupervisor supervisor, ProcessTable table, ExitWatcher watcher, ShimLauncher launcher) {
        this.supervisor = supervisor;
        this.table = table;
        this.watcher = watcher;
        this.launcher = launcher;
    }

    @Override
    public Optional<ProcessView> get(int gpid) {
        return supervisor.get(gpid);
    }

    @Override
    public Optional<String> restoredFrom(int gpid) {
        Tracked t = table.get(gpid);
        return t == null ? Optional.empty() : Optional.ofNullable(t.restoredFrom);
    }

    @Override
    public Dumping beginDump(int gpid, String imageId) throws SupervisionException {
        Tracked t = table.require(gpid);
        watcher.check(t);
        synchronized (t) {
            if (t.exit != null) {
                throw SupervisionException.precondition("process " + gpid + " has ended (" + t.exit + ")");
            }
            if (t.dumping != null) {
                throw SupervisionException.precondition("process " + gpid + " is already being dumped (image " + t.dumping + ")");
            }
            OptionalInt init = t.dir.readInitPid();
            if (init.isEmpty() || !ProcFs.exists(init.getAsInt())) {
                throw SupervisionException.precondition("process " + gpid + " runs without its own pid namespace "
                        + "(its agent does not run as root), so CRIU cannot dump it");
            }
            t.dir.writeAtomically(t.dir.dumpingFile(), imageId + "\n");
            t.dumping = imageId;
            return dumping(t, imageId);
        }
    }

    @Override
    public void pagesArriving(int gpid, boolean arriving) {
        supervisor.pagesArriving(gpid, arriving);
    }

    @Override
    public void end(int gpid, java.util.function.Function<java.util.Map<Integer, Integer>, String> why) {
        supervisor.end(gpid, why);
    }

    @Override
    public void release(int gpid, String imageId) throws SupervisionException {
        supervisor.release(gpid, imageId);
    }

    @Override
    public Optional<String> dumpingInto(int gpid) {
        Tracked t = table.get(gpid);
        if (t == null) {
            return Optional.empty();
        }
        synchronized (t) {
            return Optional.ofNullable(t.dumping);
        }
    }

    @Override
    public List<Dumping> interruptedDumps() {
        List<Dumping> dumps = new ArrayList<>();
        for (Tracked t : table.all()) {
            synchronized (t) {
                if (t.dumping != null) {
                    dumps.add(dumping(t, t.dumping));
                }
            }
        }
        return dumps;
    }

    private Dumping dumping(Tracked t, String imageId) {
        return new Dumping(t, imageId, supervisor, table, watcher, launcher);
    }

    @Override
    public Restoring beginRestore(int gpid) throws SupervisionException {
        if (gpid <= 0) {
            throw SupervisionException.invalid("gpid must be positive");
        }
        Tracked existing = table.get(gpid);
        if (existing != null) {
            watcher.check(existing);
            if (existing.view().running()) {
                throw ProcessTable.alreadyExists(gpid);
            }
            // An ended earlier life of the same gpid (e.g. stopped by checkpoint --kill) makes way.
            table.remove(existing);
            existing.dir.deleteRecursively();
        }
        ProcDir dir = table.dirOf(gpid);
        dir.deleteRecursively(); // leftovers of a restore an earlier agent did not finish
        try {
            PrivateFiles.createDirectory(dir.dir());
        } catch (FileAlreadyExistsException e) {
            throw ProcessTable.alreadyExists(gpid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Restoring(dir, table, watcher, launcher);
    }
}
