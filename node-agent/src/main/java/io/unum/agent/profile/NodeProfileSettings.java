package io.unum.agent.profile;

import io.unum.agent.cgroup.Capacity;
import java.util.Map;

/** What the agent tells the scheduler about its node besides registering: labels and enforced capacity. */
public record NodeProfileSettings(Map<String, String> labels, Capacity capacity) {
    public static final NodeProfileSettings NONE = new NodeProfileSettings(Map.of(), Capacity.UNLIMITED);

    public NodeProfileSettings {
        labels = Map.copyOf(labels);
    }
}
