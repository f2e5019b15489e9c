package io.unum.testing.chaos;

import java.util.List;
import java.util.Optional;

/**
 * The program the chaos driver moves around: python3 printing 1, 2, 3, ... one line every 100 ms,
 * with a tag as its last argument so that its copies can be told apart on the host. Its memory is
 * a few MiB, so dumps are fast; its output has exactly one right form, so a lost or doubled line
 * shows.
 */
public final class TaggedCounter {
    public static final String PROGRAM = "python3";

    private TaggedCounter() {
    }

    public static List<String> argv(String tag) {
        return List.of(PROGRAM, "-u", "-c", String.join("\n",
                "import time",
                "i = 0",
                "while True:",
                "    i += 1",
                "    print(i, flush=True)",
                "    time.sleep(0.1)"), tag);
    }

    /**
     * What is wrong with a counter's stdout, if anything: every line must be the one before plus one.
     * {@code offset} is where the text starts in the stream; from 0 the first line must be 1,
     * otherwise the first (possibly partial) line is skipped.
     */
    public static Optional<String> problem(String stdout, long offset) {
        List<String> lines = stdout.lines().toList();
        int from = offset == 0 ? 0 : 1;
        long expected = -1;
        if (offset == 0 && !lines.isEmpty() && !lines.get(0).equals("1")) {
            return Optional.of("the first line is '" + lines.get(0) + "', not 1");
        }
        for (int i = from; i < lines.size(); i++) {
            long n;
            try {
                n = Long.parseLong(lines.get(i).trim());
            } catch (NumberFormatException e) {
                return Optional.of("line " + i + " is '" + lines.get(i) + "'");
            }
            if (expected != -1 && n != expected) {
                return Optional.of((n < expected ? "repeat" : "gap") + ": " + n + " follows " + (expected - 1)
                        + " at line " + i + " of " + lines.size());
            }
            expected = n + 1;
        }
        return Optional.empty();
    }

    /** The last number the counter printed, or 0. */
    public static long lastNumber(String stdout) {
        List<String> lines = stdout.lines().toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            try {
                return Long.parseLong(lines.get(i).trim());
            } catch (NumberFormatException partial) {
                // a line being written
            }
        }
        return 0;
    }
}
