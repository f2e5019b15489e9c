package io.unum.agent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where the cgroup controllers are mounted, from {@code /proc/self/mounts}. A machine has either
 * the unified (v2) hierarchy at its cgroup root, or one v1 hierarchy per controller (possibly
 * joined, like {@code cpu,cpuacct}) and at most an empty v2 beside them, as this project's
 * development machine does.
 */
record CgroupMounts(Optional<Path> unified, Map<String, Path> v1) {

    static CgroupMounts read() throws IOException {
        return parse(Files.readString(Path.of("/proc/self/mounts")));
    }

    static CgroupMounts parse(String mounts) {
        Path unified = null;
        Map<String, Path> v1 = new HashMap<>();
        for (String line : mounts.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4) {
                continue;
            }
            Path mountPoint = Path.of(f[1].replace("\\040", " "));
            if (f[2].equals("cgroup2") && (unified == null || mountPoint.getNameCount() < unified.getNameCount())) {
                unified = mountPoint;
            } else if (f[2].equals("cgroup")) {
                for (String option : f[3].split(",")) {
                    if (option.equals("cpu") || option.equals("cpuacct") || option.equals("memory")) {
                        v1.putIfAbsent(option, mountPoint);
                    }
                }
            }
        }
        return new CgroupMounts(Optional.ofNullable(unified), Map.copyOf(v1));
    }

    /** v1 when its cpu controller is mounted (the v2 tree beside it then has no controllers); else v2. */
    boolean useV1() {
        return v1.containsKey("cpu");
    }
}
