package io.unum.controlplane.fs;

import io.unum.api.model.FsEntryType;

/**
 * {@code /unum/fs/inodes/<ino, 16 hex>}: a file, directory or symlink. links counts names (a
 * directory: 2 plus its subdirectories, as Linux shows it); replicas is the goal; parent is kept for
 * directories only (rename checks that a directory does not move into itself by walking it up).
 */
record StoredInode(long ino, FsEntryType type, int mode, int uid, int gid, long size, int links, long atimeNs,
        long mtimeNs, long ctimeNs, int replicas, String symlinkTarget, long parent) {

    boolean isDirectory() {
        return type == FsEntryType.DIRECTORY;
    }

    StoredInode withLinks(int n, long nowNs) {
        return new StoredInode(ino, type, mode, uid, gid, size, n, atimeNs, mtimeNs, nowNs, replicas, symlinkTarget, parent);
    }

    /** A directory whose entries changed. */
    StoredInode touched(long nowNs) {
        return new StoredInode(ino, type, mode, uid, gid, size, links, atimeNs, nowNs, nowNs, replicas, symlinkTarget, parent);
    }

    StoredInode withParent(long p, long nowNs) {
        return new StoredInode(ino, type, mode, uid, gid, size, links, atimeNs, mtimeNs, nowNs, replicas, symlinkTarget, p);
    }

    StoredInode withReplicas(int r, long nowNs) {
        return new StoredInode(ino, type, mode, uid, gid, size, links, atimeNs, mtimeNs, nowNs, r, symlinkTarget, parent);
    }

    StoredInode withSize(long s, long mtime, long nowNs) {
        return new StoredInode(ino, type, mode, uid, gid, s, links, atimeNs, mtime, nowNs, replicas, symlinkTarget, parent);
    }

    StoredInode withAttributes(int m, int u, int g, long atime, long mtime, long nowNs) {
        return new StoredInode(ino, type, m, u, g, size, links, atime, mtime, nowNs, replicas, symlinkTarget, parent);
    }
}
