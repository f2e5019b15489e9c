package io.unum.agent.registration;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter (200 ms doubling up to 5 s, each delay drawn from the upper
 * half of the window) so that many agents losing the same control plane do not retry in step.
 */
final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private long current;

    Backoff(long initialMillis, long maxMillis) {
        this.initialMillis = initialMillis;
        this.maxMillis = maxMillis;
        this.current = initialMillis;
    }

    Backoff() {
        this(200, 5000);
    }

    synchronized long nextMillis() {
        long window = current;
        current = Math.min(maxMillis, current * 2);
        return window / 2 + ThreadLocalRandom.current().nextLong(window / 2 + 1);
    }

    synchronized void reset() {
        current = initialMillis;
    }
}
