package io.unum.agent.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Static capacity of this machine, as reported at registration. */
public final class MachineInfo {

    private MachineInfo() {
    }

    public static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** MemTotal from /proc/meminfo, in bytes (0 when unreadable). */
    public static long memoryBytes() {
        return meminfo("MemTotal:");
    }

    /** A /proc/meminfo field ("MemAvailable:") in bytes; the file states kB. */
    static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: report 0
        }
        return 0;
    }
}
