package io.unum.agent.process;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The files of one supervised process, {@code <state-dir>/processes/<gpid>/}. The layout is
 * shared with unum-shim (see the comment at the top of unum-shim.c); the agent adds
 * {@code shim.log}, {@code pid-start}, {@code exit-reported}, {@code forget}, {@code dumping},
 * {@code criu.pid}, {@code restored-from}, {@code held}, {@code pages-arriving} and {@code end-reason}.
 */
public record ProcDir(int gpid, Path dir) {

    Path spec() {
        return dir.resolve("spec");
    }

    Path shimLog() {
        return dir.resolve("shim.log");
    }

    Path pidFile() {
        return dir.resolve("pid");
    }

    Path execErrorFile() {
        return dir.resolve("exec-error");
    }

    /** Why the agent ended the process, when it did: for the exit report. */
    Path endReasonFile() {
        return dir.resolve("end-reason");
    }

    /** Present while a post-copy restore's pages are still arriving. */
    Path pagesArrivingFile() {
        return dir.resolve("pages-arriving");
    }

    Optional<String> readEndReason() {
        return readString(endReasonFile()).map(String::strip).filter(r -> !r.isEmpty());
    }

    Path exitFile() {
        return dir.resolve("exit");
    }

    Path shimPidFile() {
        return dir.resolve("shim.pid");
    }

    /** Start time (in clock ticks since boot) of the program: tells our pid from a reused one. */
    Path pidStartFile() {
        return dir.resolve("pid-start");
    }

    /** Present once the control plane acknowledged the exit: a restarted agent does not resend. */
    Path exitReportedFile() {
        return dir.resolve("exit-reported");
    }

    /** The control plane no longer knows this process: delete the directory once it ended. */
    Path forgetFile() {
        return dir.resolve("forget");
    }

    /** The namespace init: the root of the tree CRIU dumps. Absent without a pid namespace. */
    Path initPidFile() {
        return dir.resolve("init.pid");
    }

    /** Inode numbers of the stdout, stderr and status pipes, for CRIU's --inherit-fd on restore. */
    Path pipesFile() {
        return dir.resolve("pipes");
    }

    /** The criu restore command line for {@code unum-shim -r}. */
    Path restoreFile() {
        return dir.resolve("restore");
    }

    /** Present (holding the image id) while CRIU dumps the process: its end is not an exit. */
    Path dumpingFile() {
        return dir.resolve("dumping");
    }

    /** The image the process was restored from, so that a repeated restore is recognised. */
    Path restoredFromFile() {
        return dir.resolve("restored-from");
    }

    /**
     * Present (holding the image id) while a tree restored with hold may not run: CRIU left every
     * task stopped, and only a release continues them. A held tree's end is not an exit.
     */
    Path heldFile() {
        return dir.resolve("held");
    }

    /**
     * "PID START-TIME lazy|full" of the CRIU dumping the process, while it runs: CRIU runs in its
     * own session and outlives an agent that dies mid-dump, and the next agent waits for it.
     */
    public Path criuPidFile() {
        return dir.resolve("criu.pid");
    }

    OptionalInt readInitPid() {
        return readInt(initPidFile());
    }

    Optional<String> readDumping() {
        return readString(dumpingFile()).map(String::trim);
    }

    Optional<String> readHeld() {
        return readString(heldFile()).map(String::trim);
    }

    Optional<String> readCriuPid() {
        return readString(criuPidFile()).map(String::trim);
    }

    Optional<String> readRestoredFrom() {
        return readString(restoredFromFile()).map(String::trim);
    }

    OptionalInt readPid() {
        return readInt(pidFile());
    }

    OptionalInt readShimPid() {
        return readInt(shimPidFile());
    }

    Optional<String> readExecError() {
        return readString(execErrorFile()).map(String::trim);
    }

    Optional<ProcessExit> readExit() {
        return readString(exitFile()).flatMap(ProcessExit::parse);
    }

    Optional<Long> readPidStart() {
        return readString(pidStartFile()).flatMap(s -> {
            try {
                return Optional.of(Long.parseLong(s.trim()));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    boolean has(Path file) {
        return Files.exists(file);
    }

    private static OptionalInt readInt(Path file) {
        Optional<String> s = readString(file);
        if (s.isEmpty()) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(s.get().trim()));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private static Optional<String> readString(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes tmp + rename so readers (and the shim) never see half a file. */
    void writeAtomically(Path file, String content) {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".agent.tmp");
        try {
            PrivateFiles.writeString(tmp, content);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void touch(Path file) {
        writeAtomically(file, "");
    }

    void deleteRecursively() {
        deleteTree(dir);
    }

    /** Deletes a directory and everything in it; a tree that is gone already is fine. */
    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // already gone: removal is idempotent
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
