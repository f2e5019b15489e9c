package io.unum.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/** Starting, stopping and inspecting the OS processes of a local cluster (Linux). */
public final class OsProcesses {
    private static final File DEV_NULL = new File("/dev/null");

    private OsProcesses() {
    }

    /**
     * Starts {@code command} with stdin from /dev/null and stdout+stderr appended to {@code log}.
     * A detached process is started through {@code setsid} (same pid, its own session), so neither
     * the launcher's exit nor a Ctrl-C or hang-up of the launcher's terminal reaches it.
     */
    static Process spawn(List<String> command, Path log, boolean detached, Consumer<Map<String, String>> env) {
        List<String> cmd = new ArrayList<>();
        if (detached) {
            cmd.add(setsid());
        }
        cmd.addAll(command);
        try {
            // A log may hold what a process says about its peers: its owner's alone, like the cluster dir.
            PrivateFiles.touch(log);
            Files.writeString(log, "=== " + Instant.now() + " starting: " + String.join(" ", cmd) + System.lineSeparator(),
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true);
            env.accept(pb.environment());
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        }
    }

    private static String setsid() {
        for (String p : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        throw new IllegalStateException("setsid (util-linux) is missing: run scripts/install-deps.sh");
    }

    /** The java launcher of the running JVM. */
    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * SIGTERM, then SIGKILL if the process is still there after {@code grace}.
     *
     * @return whether the process is gone
     */
    public static boolean stop(ProcessHandle process, Duration grace) {
        if (!process.isAlive()) {
            return true;
        }
        process.destroy();
        if (awaitExit(process, grace)) {
            return true;
        }
        process.destroyForcibly();
        return awaitExit(process, Duration.ofSeconds(5));
    }

    /** SIGKILL, then waits up to 5 s for the process to be gone. */
    public static boolean kill(ProcessHandle process) {
        process.destroyForcibly();
        return awaitExit(process, Duration.ofSeconds(5));
    }

    /** Waits for the process to end; true if it did within {@code timeout}. */
    public static boolean awaitExit(ProcessHandle process, Duration timeout) {
        if (!process.isAlive()) {
            return true;
        }
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return !process.isAlive();
        } catch (ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** The process group of a live process, read from {@code /proc/<pid>/stat}. */
    public static OptionalLong processGroup(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return OptionalLong.of(Long.parseLong(f[2]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** Sends SIGKILL to every process of group {@code pgid} (never to this JVM's own group). */
    public static void killGroup(long pgid) {
        long own = processGroup(ProcessHandle.current().pid()).orElse(-1);
        if (pgid <= 1 || pgid == own) {
            return;
        }
        try {
            Process p = new ProcessBuilder("kill", "-KILL", "--", "-" + pgid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // No kill(1): the caller also kills the process tree through ProcessHandle.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@code lines} lines of a text file, or a note that it cannot be read. */
    public static String tail(Path file, int lines) {
        if (file == null || !Files.isRegularFile(file)) {
            return "(no log at " + file + ")";
        }
        Deque<String> last = new ArrayDeque<>(lines);
        try (var reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (last.size() == lines) {
                    last.removeFirst();
                }
                last.addLast(line);
            }
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
        return String.join(System.lineSeparator(), last);
    }

    /** A message for a process that died: what, its exit code if known, and the tail of its log. */
    static String diedMessage(String what, Process process, Path log) {
        String code = process.isAlive() ? "" : " with exit code " + process.exitValue();
        return what + " exited" + code + "; last lines of " + log + ":" + System.lineSeparator() + tail(log, 50);
    }

    /** Deletes a directory tree, best effort. */
    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** SIGTERM to all at once, then waits, then SIGKILL to whoever is left. */
    public static void stopAll(List<ProcessHandle> processes, Duration grace) {
        List<ProcessHandle> live = processes.stream().filter(p -> p != null && p.isAlive()).toList();
        live.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle p : live) {
            OsProcesses.awaitExit(p, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        live.stream().filter(ProcessHandle::isAlive).forEach(OsProcesses::kill);
    }
}
