package io.unum.agent.cgroup;

/**
 * What an agent's processes may use together, enforced with a cgroup so that several agents on
 * one machine behave like separate machines of that size.
 *
 * @param cpus cores (0.5 = half a core); 0 = not limited
 * @param memoryBytes bytes of memory; 0 = not limited
 */
public record Capacity(double cpus, long memoryBytes) {
    public static final Capacity UNLIMITED = new Capacity(0, 0);
    /** CFS period the CPU quota is expressed in (the kernel's default). */
    static final long PERIOD_MICROS = 100_000;
    /** The kernel refuses quotas below 1 ms. */
    static final long MIN_QUOTA_MICROS = 1_000;

    public Capacity {
        if (!(cpus >= 0) || memoryBytes < 0) {
            throw new IllegalArgumentException("capacity must not be negative");
        }
    }

    public boolean limited() {
        return cpus > 0 || memoryBytes > 0;
    }

    long quotaMicros() {
        return Math.max(MIN_QUOTA_MICROS, Math.round(cpus * PERIOD_MICROS));
    }
}
