package io.unum.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What etcd, a control plane and an agent of a test cluster have in common: one OS process started
 * with its output in a log file, told to the {@link SpawnListener}, waited for until it answers (or
 * failing with its log tail when it dies first), and stopped.
 */
public abstract class LaunchedProcess implements AutoCloseable {
    private final String role;
    private final String name;
    private final Path logFile;
    private final boolean detached;
    private final SpawnListener listener;
    private Process process;

    LaunchedProcess(String role, Options<?> options, Path logFile) {
        this.role = role;
        this.name = options.name;
        this.logFile = logFile;
        this.detached = options.detached;
        this.listener = options.listener;
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    public ProcessHandle processHandle() {
        return process.toHandle();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, as a crash; waits until the process is gone. */
    public void kill() {
        OsProcesses.kill(process.toHandle());
    }

    /** {@code -} before the process is started, for {@code toString}. */
    String pidOrDash() {
        return process == null ? "-" : Long.toString(process.pid());
    }

    /** Starts {@code command} (again, on a restart) and tells the listener. */
    void spawn(List<String> command, Consumer<Map<String, String>> env) {
        process = OsProcesses.spawn(command, logFile, detached, env);
        listener.spawned(role, name, process.toHandle());
    }

    /** A restart is for a process that is gone. */
    void requireStopped() {
        if (process.isAlive()) {
            throw new IllegalStateException(role + " " + name + " is still running (pid " + process.pid() + ")");
        }
    }

    /** SIGTERM, SIGKILL if it is still there after {@code grace}; nothing if it was never started. */
    void stop(Duration grace) {
        if (process != null) {
            OsProcesses.stop(process.toHandle(), grace);
        }
    }

    /** Fails, with the log tail, if the process is not running. */
    void checkAlive(String what) {
        if (!process.isAlive()) {
            throw new ProcessDiedException(OsProcesses.diedMessage(what, process, logFile));
        }
    }

    /** Whether the process is gone because one of its ports was taken (a free port raced away). */
    boolean diedOfBindFailure() {
        return !process.isAlive() && Ports.isBindFailure(OsProcesses.tail(logFile, 50));
    }

    /** Fails, with the log tail, if the process dies within {@code window}. */
    void failIfDiesWithin(Duration window, String what) {
        try {
            if (process.waitFor(window.toMillis(), TimeUnit.MILLISECONDS)) {
                checkAlive(what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + what, e);
        }
    }

    /**
     * Asks {@code url} every {@code every} until {@code readiness} accepts the answer; fails with the
     * log tail if the process dies first ({@link ProcessDiedException}) or {@code deadline} passes.
     */
    void awaitAnswer(String what, URI url, Duration deadline, Duration every, Readiness readiness) {
        awaitAnswer(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build(), what, url, deadline, every, readiness);
    }

    /** The same, asking through {@code http} (e.g. one with a client certificate). */
    void awaitAnswer(HttpClient http, String what, URI url, Duration deadline, Duration every, Readiness readiness) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).GET().build();
        long end = System.nanoTime() + deadline.toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            checkAlive(what);
            try {
                last = readiness.notReadyBecause(http.send(request, HttpResponse.BodyHandlers.ofString()), http);
                if (last == null) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
            OsProcesses.sleep(every);
        }
        throw new IllegalStateException(what + " not ready at " + url + " within " + deadline.toSeconds() + " s (last: "
                + last + "); last lines of " + logFile + ":" + System.lineSeparator() + OsProcesses.tail(logFile, 50));
    }

    /** Judges an answer of a process being waited for. */
    interface Readiness {
        /** {@code null} when the answer means ready, else what it said instead. */
        String notReadyBecause(HttpResponse<String> answer, HttpClient http) throws IOException, InterruptedException;
    }

    /** A child died while we waited for it; the message carries its log tail. */
    static final class ProcessDiedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ProcessDiedException(String message) {
            super(message);
        }
    }

    /** The options every launched process takes; {@code B} is the concrete builder, for chaining. */
    public abstract static class Options<B extends Options<B>> {
        String name;
        Path logFile;
        boolean detached;
        SpawnListener listener = SpawnListener.NONE;

        Options(String defaultName) {
            this.name = defaultName;
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /** The name in messages, logs and the pids file (an agent's node name, etcd's member name). */
        public B name(String name) {
            this.name = name;
            return self();
        }

        /** Where stdout and stderr go; each process has its own default. */
        public B logFile(Path logFile) {
            this.logFile = logFile;
            return self();
        }

        /** Start it in its own session so it outlives the launching JVM (see {@link LocalClusterBuilder#detached}). */
        public B detached(boolean detached) {
            this.detached = detached;
            return self();
        }

        /** Told about every OS process started (also on a restart or a retry). */
        public B listener(SpawnListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return self();
        }
    }
}
