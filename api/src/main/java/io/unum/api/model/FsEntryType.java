package io.unum.api.model;

/** What a name in the cluster file system is. */
public enum FsEntryType {
    FILE, DIRECTORY, SYMLINK
}
