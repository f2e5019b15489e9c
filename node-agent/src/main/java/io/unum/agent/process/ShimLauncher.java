package io.unum.agent.process;

import io.unum.agent.files.PrivateFiles;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Every run of the unum-shim binary: a fresh start, a restore ({@code -r}) and a signal ({@code -k}). */
final class ShimLauncher {

    private final Path shim;

    ShimLauncher(Path shim) {
        this.shim = shim;
    }

    /** A shim that was forked on dir, and the program's host pid if it reported one in time. */
    record Launch(ProcDir dir, Process shim, OptionalInt pid) {

        /** The launched process as the table keeps it. */
        Tracked tracked() {
            Tracked t = new Tracked(dir);
            t.shim = shim.toHandle();
            pid.ifPresent(t::started);
            return t;
        }
    }

    /**
     * Forks unum-shim on a prepared proc-dir (with restore, on the restore file ShimInputs wrote)
     * and waits up to timeoutNanos for the pid or an exec error.
     */
    Launch launch(ProcDir dir, boolean restore, long timeoutNanos) throws IOException {
        return launch(dir, restore, timeoutNanos, () -> false);
    }

    /** giveUp: polled while waiting; true ends the wait at once, without a pid (the caller stops the shim). */
    Launch launch(ProcDir dir, boolean restore, long timeoutNanos, BooleanSupplier giveUp) throws IOException {
        List<String> command = restore ? List.of(shim.toString(), "-r", dir.dir().toString())
                : List.of(shim.toString(), dir.dir().toString());
        PrivateFiles.createIfAbsent(dir.shimLog());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.shimLog().toFile()))
                .redirectErrorStream(true);
        // The program's environment comes from the spec; the shim needs nothing of ours.
        pb.environment().clear();
        pb.environment().put("PATH", StartValidator.DEFAULT_PATH);
        Process process = pb.start();
        return new Launch(dir, process, awaitPidOrError(dir, process, timeoutNanos, giveUp));
    }

    /** A shim that could not be forked (or given its inputs): nothing ran, so its proc-dir goes. */
    static SupervisionException cannotStart(ProcDir dir, IOException e) {
        dir.deleteRecursively();
        return SupervisionException.precondition("cannot start unum-shim: " + e.getMessage());
    }

    /** Polls for the shim's answer with a short backoff: a spawn usually takes a few ms. */
    private static OptionalInt awaitPidOrError(ProcDir dir, Process process, long timeoutNanos, BooleanSupplier giveUp) {
        long deadline = System.nanoTime() + timeoutNanos;
        long pause = 500_000; // 0.5 ms
        while (System.nanoTime() < deadline) {
            OptionalInt pid = dir.readPid();
            if (pid.isPresent()) {
                return pid;
            }
            if (dir.has(dir.execErrorFile())) {
                return OptionalInt.empty();
            }
            if (!process.isAlive()) {
                return dir.readPid(); // it may have written pid just before exiting
            }
            if (giveUp.getAsBoolean()) {
                return OptionalInt.empty();
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 3 / 2, 2_000_000); // a stat() per 2 ms is cheap; latency matters more
        }
        return OptionalInt.empty();
    }

    /** What the shim logged, for an answer that says why a start failed. */
    static String log(ProcDir dir) {
        try {
            return Files.readString(dir.shimLog(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Waits briefly for a shim that failed or was killed, so it has written what it writes on its way out. */
    static void awaitEnd(Process shim) {
        try {
            shim.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sends signal sig to a host pid. Java cannot call kill(2) with an arbitrary signal
     * (ProcessHandle only knows TERM and KILL), so this runs {@code unum-shim -k SIG PID}: argv,
     * no shell, and no dependency on procps' /bin/kill. A FIFO to the shim was the alternative,
     * but opening a FIFO blocks when its reader is gone, and Java cannot open one non-blocking.
     *
     * @return null on success, else the error
     */
    String signal(int pid, int sig) {
        return signalAll(sig, List.of(pid));
    }

    /** Sends sig to each pid in one run of the shim (a negative pid is a process group); null on success. */
    String signalAll(int sig, List<Integer> pids) {
        List<String> command = new java.util.ArrayList<>(List.of(shim.toString(), "-k", Integer.toString(sig)));
        pids.forEach(p -> command.add(Integer.toString(p)));
        return runShim(command);
    }

    /** Turns TCP repair mode off on the sockets at fds of pid (see the shim's -t); null on success. */
    String repairOff(int pid, List<Integer> fds) {
        List<String> command = new java.util.ArrayList<>(List.of(shim.toString(), "-t", Integer.toString(pid)));
        fds.forEach(fd -> command.add(Integer.toString(fd)));
        return runShim(command);
    }

    private String runShim(List<String> command) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "kill timed out";
            }
            return p.exitValue() == 0 ? null : out;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
