package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The four capability sets of a process, with Kerrighed's rules:
 *
 * <ul>
 *   <li>effective ⊆ permitted, inheritable-effective ⊆ inheritable-permitted ⊆ permitted;
 *   <li>a child gets permitted = parent's inheritable-permitted and
 *       effective = parent's inheritable-effective ∩ its permitted;
 *   <li>a bit dropped from permitted never comes back (unless an admin forces it).
 * </ul>
 */
public record Capabilities(
        @Schema(required = true) CapabilitySet effective,
        @Schema(required = true) CapabilitySet permitted,
        @Schema(required = true) CapabilitySet inheritableEffective,
        @Schema(required = true) CapabilitySet inheritablePermitted) {

    public Capabilities {
        effective = effective == null ? CapabilitySet.NONE : effective;
        permitted = permitted == null ? CapabilitySet.NONE : permitted;
        inheritableEffective = inheritableEffective == null ? CapabilitySet.NONE : inheritableEffective;
        inheritablePermitted = inheritablePermitted == null ? CapabilitySet.NONE : inheritablePermitted;
    }

    /** The sets a child of {@code parent} starts with. */
    public static Capabilities inheritedFrom(Capabilities parent) {
        CapabilitySet permitted = parent.inheritablePermitted();
        return new Capabilities(
                parent.inheritableEffective().intersect(permitted),
                permitted,
                parent.inheritableEffective().intersect(permitted),
                permitted);
    }

    /** Which of the four sets a change addresses (krgcapset's -e, -p, -i, -d). */
    public enum Kind {
        EFFECTIVE, PERMITTED, INHERITABLE_EFFECTIVE, INHERITABLE_PERMITTED
    }

    /**
     * Applies changes to the four sets.
     *
     * @param force an admin override that may raise permitted bits
     * @throws CapabilityRuleException when the result breaks a rule; the message says which
     */
    public Capabilities apply(CapabilityChange e, CapabilityChange p, CapabilityChange ie, CapabilityChange ip, boolean force) {
        CapabilitySet newPermitted = permitted.apply(p);
        CapabilitySet raisedPermitted = newPermitted.minus(permitted);
        if (!force && !raisedPermitted.isEmpty()) {
            throw new CapabilityRuleException("permitted capabilities can only be dropped; "
                    + raisedPermitted + " was dropped or never granted (an admin may override with force)");
        }
        // Dropping a permitted bit drops it from every set, so nothing outlives its permission.
        CapabilitySet newEffective = effective.apply(e);
        CapabilitySet newInhPermitted = inheritablePermitted.apply(ip);
        CapabilitySet newInhEffective = inheritableEffective.apply(ie);
        if (!force) {
            requireSubset("effective", newEffective.minus(effective), newPermitted);
            requireSubset("inheritable-permitted", newInhPermitted.minus(inheritablePermitted), newPermitted);
            requireSubset("inheritable-effective", newInhEffective.minus(inheritableEffective), newInhPermitted);
        }
        newEffective = newEffective.intersect(newPermitted);
        newInhPermitted = newInhPermitted.intersect(newPermitted);
        newInhEffective = newInhEffective.intersect(newInhPermitted);
        return new Capabilities(newEffective, newPermitted, newInhEffective, newInhPermitted);
    }

    private static void requireSubset(String set, CapabilitySet raised, CapabilitySet bound) {
        CapabilitySet outside = raised.minus(bound);
        if (!outside.isEmpty()) {
            throw new CapabilityRuleException("cannot raise " + outside + " in the " + set
                    + " set: it is not in the set that bounds it (" + bound + ")");
        }
    }

    /** Whether the change raises any bit in any set (dropping is always allowed). */
    public boolean raisesAny(Capabilities after) {
        return !after.effective.minus(effective).isEmpty()
                || !after.permitted.minus(permitted).isEmpty()
                || !after.inheritableEffective.minus(inheritableEffective).isEmpty()
                || !after.inheritablePermitted.minus(inheritablePermitted).isEmpty();
    }
}
