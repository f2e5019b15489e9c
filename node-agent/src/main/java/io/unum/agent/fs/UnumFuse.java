package io.unum.agent.fs;

import io.unum.api.fs.FsPath;
import io.unum.api.grpc.CreateEntryRequest;
import io.unum.api.grpc.FsEntry;
import io.unum.api.grpc.FsEntryType;
import io.unum.api.grpc.FsLockKind;
import io.unum.api.grpc.FsLockType;
import io.unum.api.grpc.SetAttributesRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Flock;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The tree as libfuse's high-level API sees it: each call is a metadata call by path to the
 * control plane, or a read, write or commit of the node's open files. A handle's fh is its inode.
 * Permission checks are the kernel's (default_permissions) on the attributes answered here.
 */
public final class UnumFuse extends FuseStubFS {
    private static final Logger LOG = Logger.getLogger(UnumFuse.class.getName());
    /** utimensat(2)'s special tv_nsec values. */
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    /** A uid_t or gid_t of -1: chown leaves it as it is. */
    private static final long UNCHANGED = 0xFFFFFFFFL;
    private static final int BLOCK_SIZE = 4096;

    private final MetadataClient metadata;
    private final OpenFiles files;
    private final BlockStore store;
    private final ClusterLocks locks;

    public UnumFuse(MetadataClient metadata, OpenFiles files, BlockStore store) {
        this.metadata = metadata;
        this.files = files;
        this.store = store;
        this.locks = new ClusterLocks(metadata, files);
    }

    /** A call's body; its errno goes to the program. */
    private interface Op {
        int run() throws FsErrnoException;
    }

    private static int errno(String what, Op op) {
        try {
            return op.run();
        } catch (FsErrnoException e) {
            if (e.errno() == Errno.EIO) {
                LOG.warning(what + ": " + e.getMessage());
            }
            return -e.errno();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, what + " failed", e);
            return -Errno.EIO;
        }
    }

    @Override
    public int getattr(String path, FileStat stat) {
        return errno("getattr", () -> {
            FsEntry e = metadata.getAttributes(path);
            fill(e, stat);
            return 0;
        });
    }

    private void fill(FsEntry e, FileStat stat) {
        int type = switch (e.getType()) {
            case FS_ENTRY_TYPE_DIRECTORY -> FileStat.S_IFDIR;
            case FS_ENTRY_TYPE_SYMLINK -> FileStat.S_IFLNK;
            default -> FileStat.S_IFREG;
        };
        long size = e.getType() == FsEntryType.FS_ENTRY_TYPE_SYMLINK
                ? e.getSymlinkTarget().getBytes(StandardCharsets.UTF_8).length
                : files.localSize(e.getInode()).orElse(e.getSizeBytes());
        stat.st_mode.set(type | (e.getMode() & 07777));
        stat.st_ino.set(e.getInode());
        stat.st_nlink.set(Math.max(1, e.getLinks()));
        stat.st_uid.set(e.getUid());
        stat.st_gid.set(e.getGid());
        stat.st_size.set(size);
        stat.st_blksize.set(BLOCK_SIZE);
        stat.st_blocks.set((size + 511) / 512);
        time(stat.st_atim, e.getAtimeNs());
        time(stat.st_mtim, e.getMtimeNs());
        time(stat.st_ctim, e.getCtimeNs());
    }

    private static void time(Timespec t, long ns) {
        t.tv_sec.set(Math.floorDiv(ns, 1_000_000_000L));
        t.tv_nsec.set(Math.floorMod(ns, 1_000_000_000L));
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        return errno("readdir", () -> {
            filler.apply(buf, ".", null, 0);
            filler.apply(buf, "..", null, 0);
            for (FsEntry e : metadata.readDirectory(path)) {
                String p = e.getPath();
                filler.apply(buf, p.substring(p.lastIndexOf('/') + 1), null, 0);
            }
            return 0;
        });
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return errno("mkdir", () -> {
            metadata.create(create(path, FsEntryType.FS_ENTRY_TYPE_DIRECTORY, mode).build());
            return 0;
        });
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return errno("create", () -> {
            try {
                metadata.create(create(path, FsEntryType.FS_ENTRY_TYPE_FILE, mode).build());
            } catch (FsErrnoException e) {
                // The kernel trusted a name's absence another node has since made (negative_timeout):
                // without O_EXCL, open(2) opens what is there.
                if (e.errno() != Errno.EEXIST || (fi.flags.get() & O_EXCL) != 0) {
                    throw e;
                }
                if ((fi.flags.get() & O_TRUNC) != 0) {
                    files.truncate(path, 0);
                }
            }
            fi.fh.set(files.open(path));
            directIoWhenWritable(fi);
            return 0;
        });
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        if (!FileStat.S_ISREG((int) mode)) {
            return -Errno.EPERM; // devices, FIFOs and sockets are node-local things
        }
        return errno("mknod", () -> {
            metadata.create(create(path, FsEntryType.FS_ENTRY_TYPE_FILE, mode).build());
            return 0;
        });
    }

    @Override
    public int symlink(String target, String path) {
        return errno("symlink", () -> {
            metadata.create(create(path, FsEntryType.FS_ENTRY_TYPE_SYMLINK, 0777).setSymlinkTarget(target).build());
            return 0;
        });
    }

    /** The owner of what a program creates is the program's fsuid and fsgid. */
    private CreateEntryRequest.Builder create(String path, FsEntryType type, long mode) {
        return CreateEntryRequest.newBuilder().setPath(path).setType(type).setMode((int) (mode & 07777))
                .setUid((int) getContext().uid.get()).setGid((int) getContext().gid.get());
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        return errno("readlink", () -> {
            FsEntry e = metadata.getAttributes(path);
            if (e.getType() != FsEntryType.FS_ENTRY_TYPE_SYMLINK) {
                return -Errno.EINVAL;
            }
            byte[] target = e.getSymlinkTarget().getBytes(StandardCharsets.UTF_8);
            // NUL-terminated, cut to the buffer as readlink(2) does.
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        });
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return errno("open", () -> {
            try {
                fi.fh.set(files.open(path));
            } catch (FsErrnoException e) {
                // The kernel opens only a name it trusts (entry_timeout): gone meanwhile, removed on
                // another node. ESTALE makes it look the name up again and retry once, so that an
                // O_CREAT open makes the file instead of failing.
                throw e.errno() == Errno.ENOENT ? new FsErrnoException(Errno.ESTALE, e.getMessage()) : e;
            }
            directIoWhenWritable(fi);
            return 0;
        });
    }

    /**
     * A file opened for writing bypasses the kernel's page cache (FOPEN_DIRECT_IO): its reads come
     * from this node's open file, whose chunk map a lock refreshes, so a program that takes a lock
     * (sqlite3) reads what the lock's last holder wrote on another node, never a page its kernel
     * kept from before (libfuse 2 cannot tell the kernel to drop them). Read-only opens keep the
     * cache, dropped at each open; programs can still exec and map files privately, but a
     * MAP_SHARED mapping of a file opened for writing is refused (ENODEV).
     */
    private static void directIoWhenWritable(FuseFileInfo fi) {
        if ((fi.flags.get() & O_ACCMODE) == O_RDONLY) {
            return;
        }
        // libfuse 2's bit fields (direct_io is the first, the lowest bit) are the int just before fh.
        Pointer memory = jnr.ffi.Struct.getMemory(fi);
        long bits = fi.fh.offset() - 4;
        memory.putInt(bits, memory.getInt(bits) | 1);
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return errno("read", () -> {
            byte[] data = files.read(fi.fh.get(), offset, (int) Math.min(size, Integer.MAX_VALUE));
            buf.put(0, data, 0, data.length);
            return data.length;
        });
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return errno("write", () -> {
            byte[] data = new byte[(int) size];
            buf.get(0, data, 0, data.length);
            files.write(fi.fh.get(), offset, data);
            return data.length;
        });
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return errno("flush", () -> {
            files.commit(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return flush(path, fi);
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return errno("release", () -> {
            files.release(fi.fh.get());
            return 0;
        });
    }

    /** F_GETLK, F_SETLK, F_SETLKW (the same numbers on x86-64 and arm64). */
    private static final int F_GETLK = 5;
    private static final int F_SETLK = 6;
    private static final int F_SETLKW = 7;
    private static final int LOCK_NB = 4;
    private static final int O_ACCMODE = 3;
    private static final int O_RDONLY = 0;
    private static final int O_EXCL = 0200;
    private static final int O_TRUNC = 01000;

    @Override
    public int lock(String path, FuseFileInfo fi, int cmd, Flock flock) {
        return errno("lock", () -> {
            long start = flock.l_start.get();
            long len = flock.l_len.get();
            long end = len == 0 ? ClusterLocks.EOF : start + len - 1;
            int pid = (int) getContext().pid.get();
            int type = flock.l_type.get();
            if (cmd == F_GETLK) {
                java.util.Optional<ClusterLocks.Conflict> c = locks.test(fi.fh.get(), fi.lock_owner.get(), pid,
                        type == Flock.F_WRLCK, start, end);
                if (c.isEmpty()) {
                    flock.l_type.set(Flock.F_UNLCK);
                } else {
                    flock.l_type.set(c.get().write() ? Flock.F_WRLCK : Flock.F_RDLCK);
                    flock.l_start.set(c.get().start());
                    flock.l_len.set(c.get().end() == ClusterLocks.EOF ? 0 : c.get().end() - c.get().start() + 1);
                    flock.l_pid.set(c.get().pid());
                }
                return 0;
            }
            if (cmd != F_SETLK && cmd != F_SETLKW) {
                return -Errno.EINVAL;
            }
            FsLockType t = type == Flock.F_UNLCK ? FsLockType.FS_LOCK_TYPE_UNLOCK
                    : type == Flock.F_WRLCK ? FsLockType.FS_LOCK_TYPE_WRITE : FsLockType.FS_LOCK_TYPE_READ;
            return locks.set(path, fi.fh.get(), fi.lock_owner.get(), pid, FsLockKind.FS_LOCK_KIND_POSIX, t, start, end,
                    cmd == F_SETLKW).isEmpty() ? 0 : -Errno.EAGAIN;
        });
    }

    @Override
    public int flock(String path, FuseFileInfo fi, int op) {
        return errno("flock", () -> {
            int base = op & ~LOCK_NB;
            FsLockType t = base == Flock.LOCK_UN ? FsLockType.FS_LOCK_TYPE_UNLOCK
                    : base == Flock.LOCK_EX ? FsLockType.FS_LOCK_TYPE_WRITE : FsLockType.FS_LOCK_TYPE_READ;
            return locks.set(path, fi.fh.get(), fi.lock_owner.get(), (int) getContext().pid.get(), FsLockKind.FS_LOCK_KIND_FLOCK,
                    t, 0, ClusterLocks.EOF, (op & LOCK_NB) == 0 && t != FsLockType.FS_LOCK_TYPE_UNLOCK).isEmpty() ? 0 : -Errno.EAGAIN;
        });
    }

    @Override
    public int unlink(String path) {
        return errno("unlink", () -> {
            metadata.remove(path, false);
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        return errno("rmdir", () -> {
            metadata.remove(path, true);
            return 0;
        });
    }

    @Override
    public int rename(String from, String to) {
        return errno("rename", () -> {
            metadata.rename(from, to);
            return 0;
        });
    }

    @Override
    public int link(String existing, String path) {
        return errno("link", () -> {
            metadata.link(existing, path);
            return 0;
        });
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return setAttributes("chmod", SetAttributesRequest.newBuilder().setPath(path).setMode((int) (mode & 07777)));
    }

    @Override
    public int chown(String path, long uid, long gid) {
        SetAttributesRequest.Builder r = SetAttributesRequest.newBuilder().setPath(path);
        if ((uid & UNCHANGED) != UNCHANGED) {
            r.setUid((int) uid);
        }
        if ((gid & UNCHANGED) != UNCHANGED) {
            r.setGid((int) gid);
        }
        return setAttributes("chown", r);
    }

    @Override
    public int utimens(String path, Timespec[] times) {
        SetAttributesRequest.Builder r = SetAttributesRequest.newBuilder().setPath(path);
        long now = System.currentTimeMillis() * 1_000_000L;
        long atime = nanos(times[0], now);
        long mtime = nanos(times[1], now);
        if (atime != UTIME_OMIT) {
            r.setAtimeNs(atime);
        }
        if (mtime != UTIME_OMIT) {
            r.setMtimeNs(mtime);
        }
        return setAttributes("utimens", r);
    }

    /** The time a timespec of utimensat(2) asks for; UTIME_OMIT for none. */
    private static long nanos(Timespec t, long now) {
        long nsec = t.tv_nsec.longValue();
        if (nsec == UTIME_OMIT) {
            return UTIME_OMIT;
        }
        return nsec == UTIME_NOW ? now : t.tv_sec.get() * 1_000_000_000L + nsec;
    }

    private int setAttributes(String what, SetAttributesRequest.Builder r) {
        return errno(what, () -> {
            metadata.setAttributes(r.build());
            return 0;
        });
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return errno("truncate", () -> {
            files.truncate(path, size);
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return truncate(path, size);
    }

    /** This node's storage figures (the cluster's totals are the control plane's, in `unum fs df`). */
    @Override
    public int statfs(String path, Statvfs stat) {
        try {
            BlockStore.Figures f = store.figures();
            stat.f_bsize.set(BLOCK_SIZE);
            stat.f_frsize.set(BLOCK_SIZE);
            stat.f_blocks.set(f.capacityBytes() / BLOCK_SIZE);
            stat.f_bfree.set(f.freeBytes() / BLOCK_SIZE);
            stat.f_bavail.set(f.freeBytes() / BLOCK_SIZE);
            stat.f_namemax.set(FsPath.NAME_MAX);
            return 0;
        } catch (IOException e) {
            LOG.warning("statfs: " + e.getMessage());
            return -Errno.EIO;
        }
    }
}
