package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An immutable set of capabilities; serialized as a JSON array of names. */
@Schema(type = SchemaType.ARRAY, implementation = Capability.class, uniqueItems = true)
public final class CapabilitySet {
    public static final CapabilitySet NONE = new CapabilitySet(EnumSet.noneOf(Capability.class));
    public static final CapabilitySet ALL = new CapabilitySet(EnumSet.allOf(Capability.class));

    private final EnumSet<Capability> bits;

    private CapabilitySet(EnumSet<Capability> bits) {
        this.bits = bits;
    }

    public static CapabilitySet of(Capability... caps) {
        EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
        set.addAll(List.of(caps));
        return new CapabilitySet(set);
    }

    @JsonCreator
    public static CapabilitySet of(Collection<Capability> caps) {
        EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
        if (caps != null) {
            set.addAll(caps);
        }
        return new CapabilitySet(set);
    }

    @JsonValue
    public List<Capability> toList() {
        return List.copyOf(bits);
    }

    public Set<Capability> asSet() {
        return EnumSet.copyOf(bits.isEmpty() ? EnumSet.noneOf(Capability.class) : bits);
    }

    public boolean contains(Capability c) {
        return bits.contains(c);
    }

    public boolean containsAll(CapabilitySet other) {
        return bits.containsAll(other.bits);
    }

    public CapabilitySet intersect(CapabilitySet other) {
        EnumSet<Capability> set = EnumSet.copyOf(bits.isEmpty() ? EnumSet.noneOf(Capability.class) : bits);
        set.retainAll(other.bits);
        return new CapabilitySet(set);
    }

    public CapabilitySet minus(CapabilitySet other) {
        EnumSet<Capability> set = EnumSet.copyOf(bits.isEmpty() ? EnumSet.noneOf(Capability.class) : bits);
        set.removeAll(other.bits);
        return new CapabilitySet(set);
    }

    /** Applies a krgcapset change to this set. */
    public CapabilitySet apply(CapabilityChange change) {
        EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
        set.addAll(bits);
        set.addAll(change.added().bits);
        set.removeAll(change.removed().bits);
        return new CapabilitySet(set);
    }

    public boolean isEmpty() {
        return bits.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CapabilitySet other && other.bits.equals(bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }

    /** krgcapset-style rendering, e.g. "CAN_MIGRATE,CHECKPOINTABLE" or "-" when empty. */
    @Override
    public String toString() {
        return bits.isEmpty() ? "-" : bits.stream().map(Enum::name).collect(Collectors.joining(","));
    }
}
