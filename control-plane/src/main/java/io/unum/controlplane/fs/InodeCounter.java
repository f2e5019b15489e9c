package io.unum.controlplane.fs;

/** {@code /unum/fs/next-inode}: the next inode number; numbers are never reused. */
record InodeCounter(long next) {
}
