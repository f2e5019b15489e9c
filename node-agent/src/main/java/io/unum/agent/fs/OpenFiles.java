package io.unum.agent.fs;

import io.unum.api.fs.FsLayout;
import io.unum.api.grpc.CommitChunksRequest;
import io.unum.api.grpc.FsChunk;
import io.unum.api.grpc.FsEntry;
import io.unum.api.grpc.FsEntryType;
import io.unum.api.grpc.SetAttributesRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The files open on this node, by inode (docs/design/file-system.md, "Writing" and "Reading"):
 * writes go to whole 4 MiB chunk buffers and are committed (new blocks on their replicas, then
 * CommitChunks) on flush, fsync and release, or early when the node holds too many dirty bytes.
 */
public final class OpenFiles {
    private static final Logger LOG = Logger.getLogger(OpenFiles.class.getName());
    static final int CHUNK = FsLayout.CHUNK_SIZE;
    /** etcd's default limit is 128 operations per transaction; the control plane takes 32 chunks per commit. */
    static final int COMMIT_BATCH = 32;

    private final MetadataClient metadata;
    private final BlockReader reader;
    private final ChunkWriter writer;
    private final long dirtyLimit;
    private final Map<Long, OpenFile> byInode = new ConcurrentHashMap<>();
    private final AtomicLong dirtyBytes = new AtomicLong();

    OpenFiles(MetadataClient metadata, BlockReader reader, ChunkWriter writer, long dirtyLimit) {
        this.metadata = metadata;
        this.reader = reader;
        this.writer = writer;
        this.dirtyLimit = dirtyLimit;
    }

    /** A new handle on the file at path (close-to-open: its chunk map is read fresh); returns the inode. */
    long open(String path) throws FsErrnoException {
        FsEntry e = metadata.openFile(path);
        if (e.getType() == FsEntryType.FS_ENTRY_TYPE_DIRECTORY) {
            throw new FsErrnoException(Errno.EISDIR, path);
        }
        while (true) {
            OpenFile f = byInode.computeIfAbsent(e.getInode(), OpenFile::new);
            synchronized (f) {
                // The last handle's release may have dropped it meanwhile (under this monitor): take the new one.
                if (byInode.get(f.inode) == f) {
                    f.handles++;
                    f.refresh(e);
                    return e.getInode();
                }
            }
        }
    }

    /**
     * Reads the file's chunk map fresh, as an open does: a program that just got a lock must see
     * what the lock's last holder on another node wrote (NFS's rule for locks). Writes of this
     * node not committed yet stay.
     */
    void revalidate(long inode, String path) throws FsErrnoException {
        FsEntry e = metadata.openFile(path);
        OpenFile f = file(inode);
        synchronized (f) {
            if (e.getInode() == inode) {
                f.refresh(e);
            }
        }
    }

    /** The size this node sees for an inode with uncommitted writes here; empty otherwise. */
    OptionalLong localSize(long inode) {
        OpenFile f = byInode.get(inode);
        if (f == null) {
            return OptionalLong.empty();
        }
        synchronized (f) {
            return f.dirty.isEmpty() ? OptionalLong.empty() : OptionalLong.of(f.size);
        }
    }

    byte[] read(long inode, long offset, int length) throws FsErrnoException {
        OpenFile f = file(inode);
        synchronized (f) {
            if (offset >= f.size || length <= 0) {
                return new byte[0];
            }
            int n = (int) Math.min(length, f.size - offset);
            byte[] out = new byte[n];
            int done = 0;
            while (done < n) {
                long pos = offset + done;
                long index = pos / CHUNK;
                int within = (int) (pos % CHUNK);
                int part = Math.min(n - done, CHUNK - within);
                byte[] buf = f.dirty.get(index);
                if (buf != null) {
                    System.arraycopy(buf, within, out, done, part);
                } else {
                    FsChunk c = f.chunks.get(index);
                    if (c != null) {
                        // Bytes past the block's end (a file extended over it) read as zeros.
                        Block b = reader.read(c);
                        int available = Math.max(0, Math.min(part, b.length() - within));
                        System.arraycopy(b.data(), within, out, done, available);
                    }
                }
                done += part;
            }
            return out;
        }
    }

    void write(long inode, long offset, byte[] data) throws FsErrnoException {
        OpenFile f = file(inode);
        synchronized (f) {
            int done = 0;
            while (done < data.length) {
                long pos = offset + done;
                long index = pos / CHUNK;
                int within = (int) (pos % CHUNK);
                int part = Math.min(data.length - done, CHUNK - within);
                byte[] buf = f.dirty.get(index);
                if (buf == null) {
                    buf = new byte[CHUNK];
                    FsChunk c = f.chunks.get(index);
                    if (c != null && part < CHUNK) {
                        Block b = reader.read(c);
                        // Only what lies within the file: bytes a truncate cut off must read as zeros.
                        long inFile = Math.max(0, Math.min(b.length(), f.size - index * CHUNK));
                        System.arraycopy(b.data(), 0, buf, 0, (int) inFile);
                    }
                    f.dirty.put(index, buf);
                    dirtyBytes.addAndGet(CHUNK);
                }
                System.arraycopy(data, done, buf, within, part);
                done += part;
            }
            f.size = Math.max(f.size, offset + data.length);
            f.mtimeNs = System.currentTimeMillis() * 1_000_000L;
            if (dirtyBytes.get() > dirtyLimit) {
                commitFull(f);
            }
        }
    }

    /** Commits the file's dirty chunks; the program's flush, fsync and close wait for this. */
    void commit(long inode) throws FsErrnoException {
        OpenFile f = file(inode);
        synchronized (f) {
            commit(f, false);
        }
    }

    /** The handle's close: commits and, with the last handle, forgets the file. */
    void release(long inode) throws FsErrnoException {
        OpenFile f = file(inode);
        synchronized (f) {
            try {
                commit(f, false);
            } finally {
                if (--f.handles <= 0) {
                    // What could not be committed is lost with the last handle, as the program was told (EIO).
                    byInode.remove(inode, f);
                    dirtyBytes.addAndGet(-(long) CHUNK * f.dirty.size());
                    f.dirty.clear();
                }
            }
        }
    }

    /**
     * truncate(2) and ftruncate(2): what is written here is committed first, then the size changes.
     * A block cannot be cut, so a new end inside a chunk rewrites that chunk at its new length:
     * extending the file later must show zeros there, not the bytes cut off.
     */
    void truncate(String path, long size) throws FsErrnoException {
        long inode = open(path);
        try {
            OpenFile f = file(inode);
            synchronized (f) {
                commit(f, false);
                metadata.setAttributes(SetAttributesRequest.newBuilder().setPath(path).setSizeBytes(size).build());
                f.refresh(metadata.openFile(path));
                long index = size / CHUNK;
                int within = (int) (size % CHUNK);
                FsChunk last = f.chunks.get(index);
                if (last != null && within > 0 && last.getLength() > within) {
                    byte[] buf = new byte[CHUNK];
                    System.arraycopy(reader.read(last).data(), 0, buf, 0, within);
                    f.dirty.put(index, buf);
                    dirtyBytes.addAndGet(CHUNK);
                    f.size = size;
                    f.mtimeNs = System.currentTimeMillis() * 1_000_000L;
                    commit(f, false);
                }
            }
        } finally {
            release(inode);
        }
    }

    /** Before a dump: every dirty chunk of the node, so that a restored process elsewhere reads what it wrote. */
    public void commitAll() {
        for (OpenFile f : byInode.values()) {
            synchronized (f) {
                try {
                    commit(f, false);
                } catch (FsErrnoException e) {
                    LOG.warning("cannot commit inode " + f.inode + " before a dump: " + e.getMessage());
                }
            }
        }
    }

    /** Over the node's bound: the chunks written to their end go now, so a long write does not sit in memory. */
    private void commitFull(OpenFile f) throws FsErrnoException {
        commit(f, true);
        if (dirtyBytes.get() > dirtyLimit) {
            commit(f, false);
        }
    }

    private void commit(OpenFile f, boolean fullOnly) throws FsErrnoException {
        List<FsChunk> batch = new ArrayList<>();
        // A copy: each batch's commit takes its chunks out of the dirty map.
        for (Map.Entry<Long, byte[]> d : new ArrayList<>(f.dirty.entrySet())) {
            long start = d.getKey() * CHUNK;
            if (fullOnly && start + CHUNK > f.size) {
                continue;
            }
            int length = (int) Math.min(CHUNK, f.size - start);
            if (length > 0) {
                byte[] data = length == CHUNK ? d.getValue() : java.util.Arrays.copyOf(d.getValue(), length);
                batch.add(writer.store(f.inode, d.getKey(), data));
            }
            if (batch.size() == COMMIT_BATCH) {
                commitBatch(f, batch);
            }
        }
        commitBatch(f, batch);
        // Chunks wholly past the end (a truncate after the write) are dropped, never committed.
        f.dirty.entrySet().removeIf(d -> {
            boolean gone = d.getKey() * CHUNK >= f.size;
            if (gone) {
                dirtyBytes.addAndGet(-CHUNK);
            }
            return gone;
        });
    }

    private void commitBatch(OpenFile f, List<FsChunk> batch) throws FsErrnoException {
        if (batch.isEmpty()) {
            return;
        }
        metadata.commitChunks(CommitChunksRequest.newBuilder().setInode(f.inode).addAllChunks(batch)
                .setSizeBytes(f.size).setMtimeNs(f.mtimeNs).build());
        for (FsChunk c : batch) {
            f.chunks.put(c.getIndex(), c);
            if (f.dirty.remove(c.getIndex()) != null) {
                dirtyBytes.addAndGet(-CHUNK);
            }
        }
        batch.clear();
    }

    private OpenFile file(long inode) throws FsErrnoException {
        OpenFile f = byInode.get(inode);
        if (f == null) {
            throw new FsErrnoException(Errno.EBADF, "inode " + inode + " is not open here");
        }
        return f;
    }
}
