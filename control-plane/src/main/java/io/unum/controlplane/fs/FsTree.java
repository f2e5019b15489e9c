package io.unum.controlplane.fs;

import io.unum.api.fs.FsLayout;
import io.unum.api.fs.FsPath;
import io.unum.api.model.FsEntryType;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tree's names and attributes: path resolution by walking directory entries from the root, and
 * every change of names as one transaction with compares on what it read. Errors are
 * {@link FsFailure}s with the errno a program would get.
 */
@ApplicationScoped
public class FsTree {
    private final FsStore store;
    private final FsConfig config;
    private final InstantSource clock;

    public FsTree(FsStore store, FsConfig config, InstantSource clock) {
        this.store = store;
        this.config = config;
        this.clock = clock;
    }

    /** An inode and the path it was reached by. */
    record Entry(FsPath path, StoredInode inode) {
    }

    /** Makes the root directory unless it exists; safe to call from every replica at once. */
    void ensureRoot() {
        store.change(this::root);
    }

    // ---- reading ----

    Entry lookup(FsPath path) {
        return store.read(t -> new Entry(path, resolve(t, path)));
    }

    /** The entries of a directory, sorted by name. */
    List<Entry> list(FsPath path) {
        return store.read(t -> {
            StoredInode dir = resolve(t, path);
            if (!dir.isDirectory()) {
                throw new FsFailure(FsErrno.ENOTDIR, path + " is not a directory");
            }
            List<Entry> entries = new ArrayList<>();
            String prefix = FsKeys.dirents(dir.ino());
            for (Map.Entry<String, StoredDirent> d : t.list(prefix, store.dirents, 0).entrySet()) {
                String name = d.getKey().substring(prefix.length());
                // An entry whose inode went between the two reads is left out rather than shown half.
                t.get(FsKeys.inode(d.getValue().ino()), store.inodes)
                        .ifPresent(i -> entries.add(new Entry(path.child(name), i)));
            }
            return entries;
        });
    }

    /** The chunks of a file by index. */
    Map<Long, StoredChunk> chunks(long ino) {
        return store.read(t -> {
            Map<Long, StoredChunk> byIndex = new java.util.TreeMap<>();
            t.list(FsKeys.chunks(ino), store.chunks, 0).forEach((k, c) -> byIndex.put(FsKeys.chunkIndex(k), c));
            return byIndex;
        });
    }

    Optional<StoredInode> inode(long ino) {
        return store.read(t -> t.get(FsKeys.inode(ino), store.inodes));
    }

    // ---- changing ----

    /**
     * A file, directory or symlink at path. replicas 0 inherits the directory's goal.
     *
     * @throws FsFailure EEXIST when the name is taken, ENOENT / ENOTDIR for a missing or non-directory parent
     */
    Entry create(FsPath path, FsEntryType type, int mode, int uid, int gid, String symlinkTarget, int replicas) {
        if (path.isRoot()) {
            throw new FsFailure(FsErrno.EEXIST, "/ exists");
        }
        if (replicas < 0 || replicas > config.maxReplicas()) {
            throw new FsFailure(FsErrno.EINVAL, "replicas must be 1 to " + config.maxReplicas() + " (0: inherit)");
        }
        if (type == FsEntryType.SYMLINK && (symlinkTarget == null || symlinkTarget.isEmpty())) {
            throw new FsFailure(FsErrno.EINVAL, "a symlink needs a target");
        }
        return store.change(t -> {
            StoredInode parent = directory(t, path.parent());
            String key = FsKeys.dirent(parent.ino(), path.name());
            if (t.get(key, store.dirents).isPresent()) {
                throw new FsFailure(FsErrno.EEXIST, path + " exists");
            }
            long now = nowNs();
            long ino = nextInode(t);
            boolean dir = type == FsEntryType.DIRECTORY;
            StoredInode inode = new StoredInode(ino, type, mode & 07777, uid, gid,
                    type == FsEntryType.SYMLINK ? symlinkTarget.getBytes(java.nio.charset.StandardCharsets.UTF_8).length : 0,
                    dir ? 2 : 1, now, now, now, replicas == 0 ? parent.replicas() : replicas,
                    type == FsEntryType.SYMLINK ? symlinkTarget : null, dir ? parent.ino() : 0);
            t.put(FsKeys.inode(ino), store.inodes, inode);
            t.put(key, store.dirents, new StoredDirent(ino, type));
            StoredInode touched = parent.touched(now);
            t.put(FsKeys.inode(parent.ino()), store.inodes, dir ? touched.withLinks(parent.links() + 1, now) : touched);
            return new Entry(path, inode);
        });
    }

    /** mkdir -p: every missing directory on the way; an existing directory is fine, a file on the way is ENOTDIR. */
    Entry makeDirectories(FsPath path, int mode, int replicas) {
        FsPath at = FsPath.ROOT;
        Entry last = lookup(FsPath.ROOT);
        for (String name : path.names()) {
            at = at.child(name);
            try {
                last = create(at, FsEntryType.DIRECTORY, mode, 0, 0, null, at.equals(path) ? replicas : 0);
            } catch (FsFailure e) {
                if (e.errno() != FsErrno.EEXIST) {
                    throw e;
                }
                last = lookup(at);
                if (!last.inode().isDirectory()) {
                    throw new FsFailure(FsErrno.ENOTDIR, at + " exists and is not a directory");
                }
            }
        }
        return last;
    }

    /** unlink (directory false) or rmdir (true). A file whose last name goes becomes an orphan. */
    void remove(FsPath path, boolean directory) {
        if (path.isRoot()) {
            throw new FsFailure(FsErrno.EBUSY, "/ cannot be removed");
        }
        store.change(t -> {
            StoredInode parent = directory(t, path.parent());
            String key = FsKeys.dirent(parent.ino(), path.name());
            StoredDirent d = t.get(key, store.dirents)
                    .orElseThrow(() -> new FsFailure(FsErrno.ENOENT, path + " does not exist"));
            StoredInode inode = t.get(FsKeys.inode(d.ino()), store.inodes)
                    .orElseThrow(() -> new FsFailure(FsErrno.ENOENT, path + " does not exist"));
            if (directory && !inode.isDirectory()) {
                throw new FsFailure(FsErrno.ENOTDIR, path + " is not a directory");
            }
            if (!directory && inode.isDirectory()) {
                throw new FsFailure(FsErrno.EISDIR, path + " is a directory");
            }
            long now = nowNs();
            t.delete(key);
            if (inode.isDirectory()) {
                removeEmptyDirectory(t, path, inode);
                StoredInode p = t.get(FsKeys.inode(parent.ino()), store.inodes).orElseThrow();
                t.put(FsKeys.inode(p.ino()), store.inodes, p.touched(now).withLinks(p.links() - 1, now));
            } else {
                dropLink(t, inode, now);
                StoredInode p = t.get(FsKeys.inode(parent.ino()), store.inodes).orElseThrow();
                t.put(FsKeys.inode(p.ino()), store.inodes, p.touched(now));
            }
            return null;
        });
    }

    /**
     * rename(2): atomic, replacing what is at to (a file by a file, an empty directory by a
     * directory) unless noReplace.
     */
    void rename(FsPath from, FsPath to, boolean noReplace) {
        if (from.isRoot() || to.isRoot()) {
            throw new FsFailure(FsErrno.EBUSY, "/ cannot be renamed or replaced");
        }
        if (to.isWithin(from) && !to.equals(from)) {
            throw new FsFailure(FsErrno.EINVAL, "cannot move " + from + " into itself (" + to + ")");
        }
        store.change(t -> {
            StoredInode fromParent = directory(t, from.parent());
            String fromKey = FsKeys.dirent(fromParent.ino(), from.name());
            StoredDirent d = t.get(fromKey, store.dirents)
                    .orElseThrow(() -> new FsFailure(FsErrno.ENOENT, from + " does not exist"));
            StoredInode moving = t.get(FsKeys.inode(d.ino()), store.inodes)
                    .orElseThrow(() -> new FsFailure(FsErrno.ENOENT, from + " does not exist"));
            StoredInode toParent = directory(t, to.parent());
            String toKey = FsKeys.dirent(toParent.ino(), to.name());
            if (from.equals(to)) {
                return null;
            }
            long now = nowNs();
            Optional<StoredDirent> existing = t.get(toKey, store.dirents);
            if (existing.isPresent()) {
                if (noReplace) {
                    throw new FsFailure(FsErrno.EEXIST, to + " exists");
                }
                if (existing.get().ino() == moving.ino()) {
                    return null; // two names of one file: rename(2) does nothing
                }
                StoredInode replaced = t.get(FsKeys.inode(existing.get().ino()), store.inodes)
                        .orElseThrow(() -> new FsFailure(FsErrno.ENOENT, to + " changed; retry"));
                if (moving.isDirectory() && !replaced.isDirectory()) {
                    throw new FsFailure(FsErrno.ENOTDIR, to + " is not a directory");
                }
                if (!moving.isDirectory() && replaced.isDirectory()) {
                    throw new FsFailure(FsErrno.EISDIR, to + " is a directory");
                }
                if (replaced.isDirectory()) {
                    removeEmptyDirectory(t, to, replaced);
                    StoredInode p = t.get(FsKeys.inode(toParent.ino()), store.inodes).orElseThrow();
                    t.put(FsKeys.inode(p.ino()), store.inodes, p.withLinks(p.links() - 1, now));
                } else {
                    dropLink(t, replaced, now);
                }
            }
            t.delete(fromKey);
            t.put(toKey, store.dirents, new StoredDirent(moving.ino(), moving.type()));
            if (moving.isDirectory()) {
                t.put(FsKeys.inode(moving.ino()), store.inodes, moving.withParent(toParent.ino(), now));
                StoredInode fp = t.get(FsKeys.inode(fromParent.ino()), store.inodes).orElseThrow();
                t.put(FsKeys.inode(fp.ino()), store.inodes, fp.withLinks(fp.links() - 1, now));
                StoredInode tp = t.get(FsKeys.inode(toParent.ino()), store.inodes).orElseThrow();
                t.put(FsKeys.inode(tp.ino()), store.inodes, tp.withLinks(tp.links() + 1, now));
            }
            StoredInode fp = t.get(FsKeys.inode(fromParent.ino()), store.inodes).orElseThrow();
            t.put(FsKeys.inode(fp.ino()), store.inodes, fp.touched(now));
            StoredInode tp = t.get(FsKeys.inode(toParent.ino()), store.inodes).orElseThrow();
            t.put(FsKeys.inode(tp.ino()), store.inodes, tp.touched(now));
            return null;
        });
    }

    /** A hard link: one more name of a file (EPERM for a directory, as link(2)). */
    Entry link(FsPath existing, FsPath name) {
        return store.change(t -> {
            StoredInode inode = resolve(t, existing);
            if (inode.isDirectory()) {
                throw new FsFailure(FsErrno.EPERM, existing + " is a directory: directories cannot be hard-linked");
            }
            StoredInode parent = directory(t, name.parent());
            String key = FsKeys.dirent(parent.ino(), name.name());
            if (name.isRoot() || t.get(key, store.dirents).isPresent()) {
                throw new FsFailure(FsErrno.EEXIST, name + " exists");
            }
            long now = nowNs();
            t.put(key, store.dirents, new StoredDirent(inode.ino(), inode.type()));
            StoredInode linked = inode.withLinks(inode.links() + 1, now);
            t.put(FsKeys.inode(inode.ino()), store.inodes, linked);
            StoredInode p = t.get(FsKeys.inode(parent.ino()), store.inodes).orElseThrow();
            t.put(FsKeys.inode(p.ino()), store.inodes, p.touched(now));
            return new Entry(name, linked);
        });
    }

    /** What SetAttributes may change; null: unchanged. */
    record Attributes(Integer mode, Integer uid, Integer gid, Long size, Long atimeNs, Long mtimeNs) {
    }

    /**
     * chmod, chown, utimens, truncate. Chunks past a smaller size go to the collector; when they are
     * more than one transaction can drop, the last ones are dropped first in transactions of their
     * own (the tail reads as zeros meanwhile), then the size is set with the rest.
     */
    Entry setAttributes(FsPath path, Attributes a) {
        if (a.size() != null && a.size() < 0) {
            throw new FsFailure(FsErrno.EINVAL, "a size cannot be negative");
        }
        while (true) {
            Optional<Entry> done = store.change(t -> {
                StoredInode inode = resolve(t, path);
                long now = nowNs();
                if (a.size() != null) {
                    if (inode.isDirectory()) {
                        throw new FsFailure(FsErrno.EISDIR, path + " is a directory");
                    }
                    if (inode.type() != FsEntryType.FILE) {
                        throw new FsFailure(FsErrno.EINVAL, path + " is not a regular file");
                    }
                    long keep = (a.size() + FsLayout.CHUNK_SIZE - 1) / FsLayout.CHUNK_SIZE;
                    List<String> cut = t.list(FsKeys.chunks(inode.ino()), store.chunks, 0).keySet().stream()
                            .filter(k -> FsKeys.chunkIndex(k) >= keep).sorted(java.util.Comparator.reverseOrder()).toList();
                    int budget = FsTxn.MAX_OPS - 2;
                    List<String> now1 = new ArrayList<>();
                    int ops = 0;
                    for (String k : cut) {
                        StoredChunk c = t.get(k, store.chunks).orElseThrow();
                        if (ops + 1 + c.replicas().size() > budget) {
                            break;
                        }
                        ops += 1 + c.replicas().size();
                        now1.add(k);
                        toGarbage(t, c, c.replicas());
                        t.delete(k);
                    }
                    if (now1.size() < cut.size()) {
                        return Optional.<Entry>empty();
                    }
                }
                StoredInode changed = inode.withAttributes(
                        a.mode() == null ? inode.mode() : a.mode() & 07777,
                        a.uid() == null ? inode.uid() : a.uid(), a.gid() == null ? inode.gid() : a.gid(),
                        a.atimeNs() == null ? inode.atimeNs() : a.atimeNs(),
                        a.mtimeNs() == null ? inode.mtimeNs() : a.mtimeNs(), now);
                if (a.size() != null) {
                    changed = changed.withSize(a.size(), a.mtimeNs() == null ? now : a.mtimeNs(), now);
                }
                t.put(FsKeys.inode(inode.ino()), store.inodes, changed);
                return Optional.of(new Entry(path, changed));
            });
            if (done.isPresent()) {
                return done.get();
            }
        }
    }

    /** A new replica goal; with recursive, for everything below a directory as well. Returns the entry and how many changed. */
    record GoalChange(Entry entry, long changed) {
    }

    GoalChange setReplicas(FsPath path, int replicas, boolean recursive) {
        if (replicas < 1 || replicas > config.maxReplicas()) {
            throw new FsFailure(FsErrno.EINVAL, "replicas must be 1 to " + config.maxReplicas() + ", not " + replicas);
        }
        Entry top = setGoal(path, replicas);
        long changed = 1;
        if (recursive && top.inode().isDirectory()) {
            Deque<FsPath> todo = new ArrayDeque<>(List.of(path));
            while (!todo.isEmpty()) {
                for (Entry e : list(todo.pop())) {
                    if (e.inode().type() == FsEntryType.SYMLINK) {
                        continue;
                    }
                    try {
                        setGoal(e.path(), replicas);
                        changed++;
                    } catch (FsFailure gone) {
                        continue; // removed meanwhile
                    }
                    if (e.inode().isDirectory()) {
                        todo.push(e.path());
                    }
                }
            }
        }
        return new GoalChange(top, changed);
    }

    private Entry setGoal(FsPath path, int replicas) {
        return store.change(t -> {
            StoredInode inode = resolve(t, path);
            StoredInode changed = inode.replicas() == replicas ? inode : inode.withReplicas(replicas, nowNs());
            t.put(FsKeys.inode(inode.ino()), store.inodes, changed);
            return new Entry(path, changed);
        });
    }

    // ---- inside a transaction ----

    /** The root, staged for writing when it does not exist yet (the compare on its absence makes this race-safe). */
    StoredInode root(FsTxn t) {
        Optional<StoredInode> root = t.get(FsKeys.inode(FsKeys.ROOT), store.inodes);
        if (root.isPresent()) {
            return root.get();
        }
        long now = nowNs();
        // Like /tmp: Unum's programs run as uids of their own, so a root only root could write
        // would shut them all out; the sticky bit keeps each one's names its own.
        StoredInode made = new StoredInode(FsKeys.ROOT, FsEntryType.DIRECTORY, 01777, 0, 0, 0, 2, now, now, now,
                config.defaultReplicas(), null, FsKeys.ROOT);
        t.put(FsKeys.inode(FsKeys.ROOT), store.inodes, made);
        if (t.get(FsKeys.NEXT_INODE, store.counter).isEmpty()) {
            t.put(FsKeys.NEXT_INODE, store.counter, new InodeCounter(FsKeys.ROOT + 1));
        }
        return made;
    }

    /** The inode at path: ENOENT when a name is missing, ENOTDIR when a non-directory is on the way. */
    StoredInode resolve(FsTxn t, FsPath path) {
        if (path.isRoot()) {
            return root(t);
        }
        // A directory entry carries its inode's type, so only the last inode is read: one etcd read
        // per component instead of two (an inode's type never changes).
        long ino = FsKeys.ROOT;
        FsEntryType type = FsEntryType.DIRECTORY;
        FsPath walked = FsPath.ROOT;
        for (String name : path.names()) {
            if (type != FsEntryType.DIRECTORY) {
                throw new FsFailure(FsErrno.ENOTDIR, walked + " is not a directory");
            }
            walked = walked.child(name);
            final FsPath missing = walked;
            StoredDirent d = t.get(FsKeys.dirent(ino, name), store.dirents)
                    .orElseThrow(() -> new FsFailure(FsErrno.ENOENT, missing + " does not exist"));
            ino = d.ino();
            type = d.type();
        }
        return t.get(FsKeys.inode(ino), store.inodes)
                .orElseThrow(() -> new FsFailure(FsErrno.ENOENT, path + " does not exist"));
    }

    private StoredInode directory(FsTxn t, FsPath path) {
        StoredInode dir = resolve(t, path);
        if (!dir.isDirectory()) {
            throw new FsFailure(FsErrno.ENOTDIR, path + " is not a directory");
        }
        return dir;
    }

    /** Deletes an empty directory's inode; ENOTEMPTY otherwise (its inode's compare covers entries made meanwhile). */
    private void removeEmptyDirectory(FsTxn t, FsPath path, StoredInode dir) {
        if (!t.list(FsKeys.dirents(dir.ino()), store.dirents, 1).isEmpty()) {
            throw new FsFailure(FsErrno.ENOTEMPTY, path + " is not empty");
        }
        t.delete(FsKeys.inode(dir.ino()));
    }

    /** One name less; the last one makes the inode an orphan whose chunks the collector frees. */
    private void dropLink(FsTxn t, StoredInode inode, long now) {
        if (inode.links() > 1) {
            t.put(FsKeys.inode(inode.ino()), store.inodes, inode.withLinks(inode.links() - 1, now));
            return;
        }
        t.delete(FsKeys.inode(inode.ino()));
        if (inode.type() == FsEntryType.FILE) {
            t.put(FsKeys.orphan(inode.ino()), store.orphans, new StoredOrphan(inode.ino(), clock.millis()));
        }
    }

    void toGarbage(FsTxn t, StoredChunk c, List<String> nodes) {
        for (String node : nodes) {
            t.garbage(FsKeys.garbage(c.blockId(), node), store.garbage, new StoredGarbage(clock.millis()));
        }
    }

    private long nextInode(FsTxn t) {
        long next = t.get(FsKeys.NEXT_INODE, store.counter).map(InodeCounter::next).orElse(FsKeys.ROOT + 1);
        t.put(FsKeys.NEXT_INODE, store.counter, new InodeCounter(next + 1));
        return next;
    }

    private long nowNs() {
        java.time.Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
