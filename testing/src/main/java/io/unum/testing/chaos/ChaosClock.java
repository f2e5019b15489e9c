package io.unum.testing.chaos;

import java.time.Duration;
import java.util.function.Supplier;

/** Sleeping and polling for the chaos driver, where an interrupt means: stop now. */
final class ChaosClock {
    private ChaosClock() {
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Polls probe every 200 ms until it answers non-null, or the timeout passes (then null). A
     * probe that throws counts as no answer: the cluster is being hurt on purpose.
     */
    static <T> T poll(Supplier<T> probe, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                T answer = probe.get();
                if (answer != null) {
                    return answer;
                }
            } catch (RuntimeException unavailable) {
                // try again
            }
            if (System.nanoTime() > deadline) {
                return null;
            }
            sleep(Duration.ofMillis(200));
        }
    }
}
