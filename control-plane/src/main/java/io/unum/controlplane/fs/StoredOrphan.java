package io.unum.controlplane.fs;

/** {@code /unum/fs/orphans/<ino>}: an inode whose last name went; its chunks are still to be collected. */
record StoredOrphan(long ino, long sinceEpochMs) {
}
