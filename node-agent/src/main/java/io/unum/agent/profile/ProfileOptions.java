package io.unum.agent.profile;

import io.unum.agent.cgroup.Capacity;
import io.unum.api.units.ByteSize;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** The agent's scheduling options, mixed into its command line. */
public final class ProfileOptions {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?");
    private static final Pattern VALUE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?");

    @Option(names = "--label", paramLabel = "KEY=VALUE",
            description = "A node label that 'unum run --constraint KEY=VALUE' can ask for (repeatable).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--cpu-capacity", paramLabel = "CORES",
            description = "Cores this node's processes may use together, enforced with a cgroup (e.g. 0.5).")
    double cpuCapacity;

    @Option(names = "--memory-capacity", paramLabel = "BYTES",
            description = "Memory this node's processes may use together, enforced with a cgroup (e.g. 512M, 2G).")
    String memoryCapacity;

    /** @throws IllegalArgumentException naming the bad option */
    public NodeProfileSettings settings() {
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String label : labels) {
            int eq = label.indexOf('=');
            String key = eq < 0 ? label : label.substring(0, eq);
            String value = eq < 0 ? "" : label.substring(eq + 1);
            if (eq < 0 || !KEY.matcher(key).matches() || !VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("--label '" + label + "': expected KEY=VALUE, letters, digits, '.', '_', '-'"
                        + " (and '/' in keys), at most 63 each");
            }
            parsed.put(key, value);
        }
        if (!(cpuCapacity >= 0)) {
            throw new IllegalArgumentException("--cpu-capacity must not be negative");
        }
        return new NodeProfileSettings(parsed, new Capacity(cpuCapacity, memoryBytes()));
    }

    private long memoryBytes() {
        try {
            return ByteSize.parse(memoryCapacity);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--memory-capacity " + e.getMessage(), e);
        }
    }
}
