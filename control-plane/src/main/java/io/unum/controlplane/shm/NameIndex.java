package io.unum.controlplane.shm;

/** {@code /unum/shm/names/<sysv-key | posix-name>}: which segment a key or name means now. */
public record NameIndex(int segmentId) {
}
