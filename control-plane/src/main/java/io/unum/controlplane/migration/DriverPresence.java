package io.unum.controlplane.migration;

/**
 * Which control-plane replicas are alive to drive their migrations. The leader takes a migration
 * over as soon as its driver is no longer present, instead of waiting for the record to go stale.
 */
public interface DriverPresence {
    /** This replica's name, written into the migrations it drives. */
    String self();

    /** Whether the named replica is alive right now. */
    boolean present(String replica);
}
