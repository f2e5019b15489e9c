package io.unum.testing.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Watches the host's process list every 100 ms, independently of Unum, and counts the copies of
 * each tagged program: a process whose {@code argv[0]} is the program and whose arguments hold the
 * tag. A copy in state {@code T}/{@code t} (stopped or frozen by CRIU's ptrace) is not running;
 * zombies are not copies. Two running copies at one instant is a process running twice.
 */
public final class CopySampler implements AutoCloseable {
    static final Duration PERIOD = Duration.ofMillis(100);

    private final String program;
    private final List<String> tags = new CopyOnWriteArrayList<>();
    private final List<String> duplicates = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> maxStopped = new ConcurrentHashMap<>();
    private volatile Map<String, Copies> last = Map.of();
    private volatile long samples;
    private final Thread thread;
    private volatile boolean closed;

    /** The copies of one tagged program at one instant. */
    public record Copies(List<Long> running, List<Long> stopped) {
    }

    public CopySampler(String program) {
        this.program = program;
        this.thread = new Thread(this::loop, "chaos-copy-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts counting the copies of the program whose arguments hold tag. */
    public void watch(String tag) {
        tags.add(tag);
    }

    /** Every instant at which some tag had more than one running copy, with the pids. */
    public List<String> duplicates() {
        return List.copyOf(duplicates);
    }

    /** The most stopped (frozen) copies seen at once, per tag that had any. */
    public Map<String, Integer> maxStopped() {
        return Map.copyOf(maxStopped);
    }

    public long samples() {
        return samples;
    }

    /** The copies of tag at the latest sample. */
    public Copies latest(String tag) {
        return last.getOrDefault(tag, new Copies(List.of(), List.of()));
    }

    /** Waits for a sample taken after this call, so that what {@link #latest} says is current. */
    public void awaitFreshSample() {
        long seen = samples;
        while (samples < seen + 2 && !closed) {
            ChaosClock.sleep(PERIOD);
        }
    }

    private void loop() {
        while (!closed) {
            Instant at = Instant.now();
            Map<String, Copies> now = sample();
            for (Map.Entry<String, Copies> e : now.entrySet()) {
                Copies c = e.getValue();
                if (c.running().size() > 1) {
                    duplicates.add(at + " " + e.getKey() + " runs " + c.running().size() + " times: pids " + c.running());
                }
                if (!c.stopped().isEmpty()) {
                    maxStopped.merge(e.getKey(), c.stopped().size(), Math::max);
                }
            }
            last = now;
            samples++;
            ChaosClock.sleep(PERIOD);
        }
    }

    private Map<String, Copies> sample() {
        Map<String, List<Long>> running = new HashMap<>();
        Map<String, List<Long>> stopped = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                inspect(proc, running, stopped);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list /proc", e);
        }
        Map<String, Copies> result = new HashMap<>();
        for (String tag : tags) {
            result.put(tag, new Copies(running.getOrDefault(tag, List.of()), stopped.getOrDefault(tag, List.of())));
        }
        return result;
    }

    private void inspect(Path proc, Map<String, List<Long>> running, Map<String, List<Long>> stopped) {
        try {
            String[] argv = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).split("\0");
            if (argv.length < 2 || !argv[0].equals(program)) {
                return;
            }
            String tag = argv[argv.length - 1];
            if (!tags.contains(tag)) {
                return;
            }
            String stat = Files.readString(proc.resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            long pid = Long.parseLong(proc.getFileName().toString());
            switch (state) {
                case 'Z', 'X' -> { }
                case 'T', 't' -> stopped.computeIfAbsent(tag, t -> new ArrayList<>()).add(pid);
                default -> running.computeIfAbsent(tag, t -> new ArrayList<>()).add(pid);
            }
        } catch (IOException | RuntimeException gone) {
            // the process ended between the listing and the read: it is no copy
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
