package io.unum.controlplane.shm;

/** {@code /unum/shm/next-id/next}: the next segment id; ids are never reused, so a stale id finds nothing. */
public record IdCounter(int next) {
}
