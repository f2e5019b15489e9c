package io.unum.agent.load;

import io.unum.agent.process.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * CPU and memory of single programs. CPU is the utime+stime delta since the previous sample
 * over the wall time elapsed; 100 means one full core. Clock ticks are USER_HZ, which Linux
 * fixes at 100 on every architecture Unum targets.
 */
public final class ProcessUsageProbe {

    private static final double TICKS_PER_SECOND = 100.0;

    public record Usage(double cpuPercent, long rssBytes) {
    }

    private record Last(long startTime, long ticks, long nanos) {
    }

    private final Map<Integer, Last> last = new HashMap<>();

    /** Samples the given gpid → host pid map; gpids whose program is gone are left out. */
    public synchronized Map<Integer, Usage> sample(Map<Integer, Integer> pidsByGpid) {
        Map<Integer, Usage> out = new LinkedHashMap<>();
        Map<Integer, Last> next = new HashMap<>();
        long now = System.nanoTime();
        for (Map.Entry<Integer, Integer> e : pidsByGpid.entrySet()) {
            Optional<String[]> stat = ProcFs.statFields(e.getValue());
            if (stat.isEmpty()) {
                continue;
            }
            String[] f = stat.get();
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            long startTime = Long.parseLong(f[19]);
            Last prev = last.get(e.getKey());
            double cpu = 0;
            if (prev != null && prev.startTime() == startTime && now > prev.nanos()) {
                double seconds = (now - prev.nanos()) / 1e9;
                cpu = Math.max(0, (ticks - prev.ticks()) / TICKS_PER_SECOND / seconds * 100.0);
            }
            next.put(e.getKey(), new Last(startTime, ticks, now));
            out.put(e.getKey(), new Usage(cpu, rssBytes(e.getValue())));
        }
        last.clear();
        last.putAll(next);
        return out;
    }

    /**
     * Resident set size from VmRSS in /proc/PID/status: the same figure as statm's resident
     * pages, but already in kB, so no page-size guess is needed (arm64 may use 16/64 KiB pages).
     */
    private static long rssBytes(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone meanwhile
        }
        return 0;
    }
}
