package io.unum.agent.fs;

import io.unum.api.grpc.FsLockKind;
import io.unum.api.grpc.FsLockType;
import io.unum.api.grpc.LockRequest;
import io.unum.api.grpc.LockResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The mount's fcntl and flock locks, held in the control plane so that they exclude programs on
 * every node. A program that gets a lock sees the file as its last holder left it (its chunk map
 * is read again) and a program that lets go has its writes committed first: the NFS rule that
 * makes sqlite3 on two nodes safe. A blocking request asks again, from 2 ms to 100 ms apart,
 * until it gets the lock or its program is being killed (FUSE makes a killed program wait for
 * the answer, so the wait must end by itself).
 */
final class ClusterLocks {
    static final long EOF = Long.MAX_VALUE;
    private static final long MAX_PAUSE_MILLIS = 100;

    private final MetadataClient metadata;
    private final OpenFiles files;
    /** (inode, owner) pairs that may hold a POSIX lock here: a close of any other needs no call. */
    private final Map<Long, Set<Long>> owners = new ConcurrentHashMap<>();

    ClusterLocks(MetadataClient metadata, OpenFiles files) {
        this.metadata = metadata;
        this.files = files;
    }

    /** The lock in the way, as the conflict fields of an EAGAIN answer say. */
    record Conflict(boolean write, long start, long end, int pid) {
    }

    /**
     * Sets (write/read) or releases owner's lock; with wait, until it is granted. Empty when
     * granted; the lock in the way otherwise (only without wait).
     */
    java.util.Optional<Conflict> set(String path, long inode, long owner, int pid, FsLockKind kind, FsLockType type,
            long start, long end, boolean wait) throws FsErrnoException {
        boolean unlock = type == FsLockType.FS_LOCK_TYPE_UNLOCK;
        if (unlock) {
            if (kind == FsLockKind.FS_LOCK_KIND_POSIX && !mayHold(inode, owner)) {
                return java.util.Optional.empty(); // every close asks to unlock: most never locked
            }
            files.commit(inode); // what it wrote under the lock is there for the next holder
        }
        LockRequest request = LockRequest.newBuilder().setInode(inode).setOwner(owner).setPid(pid).setKind(kind)
                .setType(type).setStart(start).setEnd(end).build();
        long pause = 2;
        while (true) {
            LockResponse r = metadata.lock(request);
            if (r.getErrno() == 0) {
                if (kind == FsLockKind.FS_LOCK_KIND_POSIX) {
                    remember(inode, owner, unlock && start == 0 && end == EOF);
                }
                if (!unlock) {
                    files.revalidate(inode, path);
                }
                return java.util.Optional.empty();
            }
            if (!wait) {
                return java.util.Optional.of(new Conflict(r.getConflictType() == FsLockType.FS_LOCK_TYPE_WRITE,
                        r.getConflictStart(), r.getConflictEnd(), r.getConflictPid()));
            }
            if (beingKilled(pid)) {
                throw new FsErrnoException(Errno.EINTR, "pid " + pid + " is being killed while it waits for a lock");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FsErrnoException(Errno.EINTR, "interrupted while waiting for a lock");
            }
            pause = Math.min(MAX_PAUSE_MILLIS, pause * 2);
        }
    }

    /** The lock in the way of such a lock, if any (F_GETLK). */
    java.util.Optional<Conflict> test(long inode, long owner, int pid, boolean write, long start, long end)
            throws FsErrnoException {
        LockResponse r = metadata.lock(LockRequest.newBuilder().setInode(inode).setOwner(owner).setPid(pid)
                .setKind(FsLockKind.FS_LOCK_KIND_POSIX).setType(write ? FsLockType.FS_LOCK_TYPE_WRITE : FsLockType.FS_LOCK_TYPE_READ)
                .setStart(start).setEnd(end).setTest(true).build());
        return r.getErrno() == 0 ? java.util.Optional.empty() : java.util.Optional.of(new Conflict(
                r.getConflictType() == FsLockType.FS_LOCK_TYPE_WRITE, r.getConflictStart(), r.getConflictEnd(), r.getConflictPid()));
    }

    private boolean mayHold(long inode, long owner) {
        Set<Long> s = owners.get(inode);
        return s != null && s.contains(owner);
    }

    private void remember(long inode, long owner, boolean releasedAll) {
        if (releasedAll) {
            owners.computeIfPresent(inode, (k, s) -> {
                s.remove(owner);
                return s.isEmpty() ? null : s;
            });
        } else {
            owners.computeIfAbsent(inode, k -> ConcurrentHashMap.newKeySet()).add(owner);
        }
    }

    /** A pending SIGKILL (a fatal signal is turned into one), or the process gone. */
    private static boolean beingKilled(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("SigPnd:") || line.startsWith("ShdPnd:")) {
                    long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    if ((mask & (1L << 8)) != 0) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException | NumberFormatException e) {
            return true;
        }
    }
}
