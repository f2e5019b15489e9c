package io.unum.controlplane.fs;

/** {@code /unum/fs/garbage/<block id>/<node>}: a copy to delete once the grace has passed. */
record StoredGarbage(long sinceEpochMs) {
}
