package io.unum.api.model;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * A change to one capability set in krgcapset syntax: a comma-separated list of
 * {@code +NAME} (raise) and {@code -NAME} (drop); a bare {@code NAME} raises.
 */
public record CapabilityChange(CapabilitySet added, CapabilitySet removed) {
    public static final CapabilityChange NONE = new CapabilityChange(CapabilitySet.NONE, CapabilitySet.NONE);

    /**
     * Parses krgcapset syntax.
     *
     * @throws IllegalArgumentException naming the unknown capability and the valid ones
     */
    public static CapabilityChange parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return NONE;
        }
        EnumSet<Capability> added = EnumSet.noneOf(Capability.class);
        EnumSet<Capability> removed = EnumSet.noneOf(Capability.class);
        List<String> unknown = new ArrayList<>();
        for (String raw : spec.split(",")) {
            String token = raw.trim();
            if (token.isEmpty()) {
                continue;
            }
            boolean drop = token.startsWith("-");
            String name = (drop || token.startsWith("+")) ? token.substring(1) : token;
            Capability c = Capability.parse(name).orElse(null);
            if (c == null) {
                unknown.add(name);
                continue;
            }
            if (drop) {
                removed.add(c);
                added.remove(c);
            } else {
                added.add(c);
                removed.remove(c);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown capability " + String.join(", ", unknown)
                    + "; valid names are " + List.of(Capability.values()));
        }
        return new CapabilityChange(CapabilitySet.of(added), CapabilitySet.of(removed));
    }

    public boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Capability c : added.toList()) {
            sb.append(sb.isEmpty() ? "" : ",").append('+').append(c);
        }
        for (Capability c : removed.toList()) {
            sb.append(sb.isEmpty() ? "" : ",").append('-').append(c);
        }
        return sb.toString();
    }
}
