package io.unum.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code <dir>/pids}: one line per process a detached local cluster started,
 * {@code <role> <name> <pid> <start epoch millis>}. The start time guards against a pid that was
 * reused by an unrelated process after ours ended.
 */
final class PidsFile implements SpawnListener {
    private static final Duration START_TOLERANCE = Duration.ofSeconds(1);

    private final Path file;

    PidsFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    record Entry(String role, String name, long pid, long startMillis) {
        /** The process, if it is still the one we started. */
        Optional<ProcessHandle> live() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> h.info().startInstant()
                    .map(s -> startMillis <= 0 || Math.abs(s.toEpochMilli() - startMillis) <= START_TOLERANCE.toMillis())
                    .orElse(true));
        }
    }

    @Override
    public synchronized void spawned(String role, String name, ProcessHandle process) {
        long start = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        String line = role + " " + name + " " + process.pid() + " " + start + System.lineSeparator();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record pid in " + file, e);
        }
    }

    boolean exists() {
        return Files.isRegularFile(file);
    }

    List<Entry> read() {
        List<Entry> entries = new ArrayList<>();
        if (!exists()) {
            return entries;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3) {
                    try {
                        entries.add(new Entry(f[0], f[1], Long.parseLong(f[2]), f.length > 3 ? Long.parseLong(f[3]) : 0));
                    } catch (NumberFormatException ignored) {
                        // not one of our lines
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return entries;
    }

    List<Entry> live() {
        return read().stream().filter(e -> e.live().isPresent()).toList();
    }

    /** {@code name pid N, ...} for messages. */
    static String describe(List<Entry> entries) {
        return String.join(", ", entries.stream().map(e -> e.name() + " pid " + e.pid()).toList());
    }

    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
