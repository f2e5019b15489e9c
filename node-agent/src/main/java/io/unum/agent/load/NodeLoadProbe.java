package io.unum.agent.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Samples the node's load. CPU usage is a rate, so each sample compares /proc/stat with the
 * previous sample (the first one reports 0).
 */
public final class NodeLoadProbe {

    /** One sample, in the units of unum.v1.NodeLoad (process_count is filled in by the caller). */
    public record Sample(double load1, double cpuPercent, long memoryFreeBytes) {
    }

    private long lastTotal = -1;
    private long lastIdle = -1;

    public synchronized Sample sample() {
        return new Sample(load1(), cpuPercent(), MachineInfo.meminfo("MemAvailable:"));
    }

    private static double load1() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Busy share of all cores since the last sample, 0..100. */
    private double cpuPercent() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0); // "cpu  user nice system idle iowait ..."
            String[] f = first.trim().split("\\s+");
            long total = 0;
            // guest and guest_nice (fields 9, 10) are already counted in user and nice
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            double pct = 0;
            if (lastTotal >= 0 && total > lastTotal) {
                pct = 100.0 * (1.0 - (double) (idle - lastIdle) / (total - lastTotal));
            }
            lastTotal = total;
            lastIdle = idle;
            return Math.max(0, Math.min(100, pct));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
