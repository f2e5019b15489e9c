package io.unum.controlplane.fs;

import io.unum.api.model.FsEntryType;

/** {@code /unum/fs/dirents/<parent ino>/<name>}: a name in a directory. */
record StoredDirent(long ino, FsEntryType type) {
}
