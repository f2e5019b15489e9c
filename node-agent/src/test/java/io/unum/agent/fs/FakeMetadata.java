package io.unum.agent.fs;

import io.grpc.stub.StreamObserver;
import io.unum.api.fs.FsLayout;
import io.unum.api.grpc.AllocateBlockRequest;
import io.unum.api.grpc.AllocateBlockResponse;
import io.unum.api.grpc.CommitChunksRequest;
import io.unum.api.grpc.CreateEntryRequest;
import io.unum.api.grpc.FsChunk;
import io.unum.api.grpc.FsEntry;
import io.unum.api.grpc.FsEntryResponse;
import io.unum.api.grpc.FsEntryType;
import io.unum.api.grpc.FsErrnoResponse;
import io.unum.api.grpc.FsMetadataServiceGrpc;
import io.unum.api.grpc.FsPathRequest;
import io.unum.api.grpc.FsReadDirectoryResponse;
import io.unum.api.grpc.FsReplica;
import io.unum.api.grpc.LinkRequest;
import io.unum.api.grpc.RemoveEntryRequest;
import io.unum.api.grpc.RenameRequest;
import io.unum.api.grpc.ReportBlocksRequest;
import io.unum.api.grpc.ReportBlocksResponse;
import io.unum.api.grpc.ReportCorruptBlockRequest;
import io.unum.api.grpc.ReportCorruptBlockResponse;
import io.unum.api.grpc.SetAttributesRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hand-written FsMetadataService over an in-memory tree, for the mount's tests while the control
 * plane's is written: paths, errnos and chunk maps as fs.proto describes them, no etcd. Every
 * block goes to all the nodes given, the quorum a majority of them.
 */
final class FakeMetadata extends FsMetadataServiceGrpc.FsMetadataServiceImplBase {
    private static final class Inode {
        final long ino;
        final FsEntryType type;
        int mode;
        int uid;
        int gid;
        long size;
        int links = 1;
        long atime;
        long mtime;
        long ctime;
        String target = "";
        final TreeMap<Long, FsChunk> chunks = new TreeMap<>();
        final TreeMap<String, Long> children = new TreeMap<>();

        Inode(long ino, FsEntryType type, int mode, int uid, int gid) {
            this.ino = ino;
            this.type = type;
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
            atime = mtime = ctime = System.currentTimeMillis() * 1_000_000L;
        }
    }

    private final Map<Long, Inode> inodes = new TreeMap<>();
    private final List<FsReplica> nodes;
    private long next = 2;
    final List<String> corruptReports = new CopyOnWriteArrayList<>();
    final List<ReportBlocksRequest> blockReports = new CopyOnWriteArrayList<>();
    /** What the next block reports' answers tell the agent to delete. */
    final List<String> deleteOnReport = new CopyOnWriteArrayList<>();

    FakeMetadata(List<FsReplica> nodes) {
        this.nodes = List.copyOf(nodes);
        inodes.put(1L, new Inode(1, FsEntryType.FS_ENTRY_TYPE_DIRECTORY, 0755, 0, 0));
    }

    /** The inode at path, or the errno of why there is none. */
    private Inode resolve(String path) throws ErrnoAnswer {
        Inode at = inodes.get(1L);
        for (String name : path.split("/")) {
            if (name.isEmpty()) {
                continue;
            }
            if (at.type != FsEntryType.FS_ENTRY_TYPE_DIRECTORY) {
                throw new ErrnoAnswer(Errno.ENOTDIR);
            }
            Long child = at.children.get(name);
            if (child == null) {
                throw new ErrnoAnswer(Errno.ENOENT);
            }
            at = inodes.get(child);
        }
        return at;
    }

    private static final class ErrnoAnswer extends Exception {
        final int errno;

        ErrnoAnswer(int errno) {
            super(null, null, false, false);
            this.errno = errno;
        }
    }

    private static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private FsEntry entry(Inode n, String path, boolean chunks) {
        FsEntry.Builder b = FsEntry.newBuilder().setPath(path).setInode(n.ino).setType(n.type).setMode(n.mode).setUid(n.uid)
                .setGid(n.gid).setSizeBytes(n.size).setLinks(n.links).setAtimeNs(n.atime).setMtimeNs(n.mtime)
                .setCtimeNs(n.ctime).setReplicas(nodes.size()).setSymlinkTarget(n.target);
        if (chunks) {
            b.addAllChunks(n.chunks.values());
        }
        return b.build();
    }

    private interface Body<T> {
        T run() throws ErrnoAnswer;
    }

    private synchronized <T> void answer(StreamObserver<T> out, Body<T> body, java.util.function.IntFunction<T> failed) {
        T r;
        try {
            r = body.run();
        } catch (ErrnoAnswer e) {
            r = failed.apply(e.errno);
        }
        out.onNext(r);
        out.onCompleted();
    }

    private static FsEntryResponse entryErrno(int errno) {
        return FsEntryResponse.newBuilder().setErrno(errno).build();
    }

    private static FsErrnoResponse errno(int errno) {
        return FsErrnoResponse.newBuilder().setErrno(errno).build();
    }

    @Override
    public void getAttributes(FsPathRequest req, StreamObserver<FsEntryResponse> out) {
        answer(out, () -> FsEntryResponse.newBuilder().setEntry(entry(resolve(req.getPath()), req.getPath(), false)).build(),
                FakeMetadata::entryErrno);
    }

    @Override
    public void openFile(FsPathRequest req, StreamObserver<FsEntryResponse> out) {
        answer(out, () -> FsEntryResponse.newBuilder().setEntry(entry(resolve(req.getPath()), req.getPath(), true)).build(),
                FakeMetadata::entryErrno);
    }

    @Override
    public void readDirectory(FsPathRequest req, StreamObserver<FsReadDirectoryResponse> out) {
        answer(out, () -> {
            Inode d = resolve(req.getPath());
            if (d.type != FsEntryType.FS_ENTRY_TYPE_DIRECTORY) {
                throw new ErrnoAnswer(Errno.ENOTDIR);
            }
            FsReadDirectoryResponse.Builder r = FsReadDirectoryResponse.newBuilder();
            String prefix = req.getPath().equals("/") ? "/" : req.getPath() + "/";
            d.children.forEach((name, ino) -> r.addEntries(entry(inodes.get(ino), prefix + name, false)));
            return r.build();
        }, e -> FsReadDirectoryResponse.newBuilder().setErrno(e).build());
    }

    @Override
    public void createEntry(CreateEntryRequest req, StreamObserver<FsEntryResponse> out) {
        answer(out, () -> {
            Inode dir = resolve(parent(req.getPath()));
            if (dir.type != FsEntryType.FS_ENTRY_TYPE_DIRECTORY) {
                throw new ErrnoAnswer(Errno.ENOTDIR);
            }
            if (dir.children.containsKey(name(req.getPath()))) {
                throw new ErrnoAnswer(Errno.EEXIST);
            }
            Inode n = new Inode(next++, req.getType(), req.getMode(), req.getUid(), req.getGid());
            n.target = req.getSymlinkTarget();
            n.size = n.target.length();
            inodes.put(n.ino, n);
            dir.children.put(name(req.getPath()), n.ino);
            return FsEntryResponse.newBuilder().setEntry(entry(n, req.getPath(), false)).build();
        }, FakeMetadata::entryErrno);
    }

    @Override
    public void removeEntry(RemoveEntryRequest req, StreamObserver<FsErrnoResponse> out) {
        answer(out, () -> {
            Inode n = resolve(req.getPath());
            boolean isDir = n.type == FsEntryType.FS_ENTRY_TYPE_DIRECTORY;
            if (isDir != req.getDirectory()) {
                throw new ErrnoAnswer(isDir ? Errno.EISDIR : Errno.ENOTDIR);
            }
            if (isDir && !n.children.isEmpty()) {
                throw new ErrnoAnswer(Errno.ENOTEMPTY);
            }
            resolve(parent(req.getPath())).children.remove(name(req.getPath()));
            n.links--;
            return errno(0);
        }, FakeMetadata::errno);
    }

    @Override
    public void rename(RenameRequest req, StreamObserver<FsErrnoResponse> out) {
        answer(out, () -> {
            Inode n = resolve(req.getFromPath());
            Inode to = resolve(parent(req.getToPath()));
            Long existing = to.children.get(name(req.getToPath()));
            if (existing != null && inodes.get(existing).type == FsEntryType.FS_ENTRY_TYPE_DIRECTORY
                    && !inodes.get(existing).children.isEmpty()) {
                throw new ErrnoAnswer(Errno.ENOTEMPTY);
            }
            resolve(parent(req.getFromPath())).children.remove(name(req.getFromPath()));
            to.children.put(name(req.getToPath()), n.ino);
            return errno(0);
        }, FakeMetadata::errno);
    }

    @Override
    public void link(LinkRequest req, StreamObserver<FsEntryResponse> out) {
        answer(out, () -> {
            Inode n = resolve(req.getExistingPath());
            Inode dir = resolve(parent(req.getNewPath()));
            if (dir.children.containsKey(name(req.getNewPath()))) {
                throw new ErrnoAnswer(Errno.EEXIST);
            }
            dir.children.put(name(req.getNewPath()), n.ino);
            n.links++;
            return FsEntryResponse.newBuilder().setEntry(entry(n, req.getNewPath(), false)).build();
        }, FakeMetadata::entryErrno);
    }

    @Override
    public void setAttributes(SetAttributesRequest req, StreamObserver<FsEntryResponse> out) {
        answer(out, () -> {
            Inode n = resolve(req.getPath());
            if (req.hasMode()) {
                n.mode = req.getMode();
            }
            if (req.hasUid()) {
                n.uid = req.getUid();
            }
            if (req.hasGid()) {
                n.gid = req.getGid();
            }
            if (req.hasSizeBytes()) {
                n.size = req.getSizeBytes();
                n.chunks.tailMap((n.size + FsLayout.CHUNK_SIZE - 1) / FsLayout.CHUNK_SIZE, true).clear();
            }
            if (req.hasAtimeNs()) {
                n.atime = req.getAtimeNs();
            }
            if (req.hasMtimeNs()) {
                n.mtime = req.getMtimeNs();
            }
            return FsEntryResponse.newBuilder().setEntry(entry(n, req.getPath(), false)).build();
        }, FakeMetadata::entryErrno);
    }

    @Override
    public void allocateBlock(AllocateBlockRequest req, StreamObserver<AllocateBlockResponse> out) {
        answer(out, () -> {
            List<FsReplica> targets = new ArrayList<>(nodes);
            targets.removeIf(t -> req.getExcludeNodesList().contains(t.getNode()));
            if (targets.isEmpty()) {
                throw new ErrnoAnswer(Errno.EIO);
            }
            return AllocateBlockResponse.newBuilder().setBlockId(String.format("%016x-%d-%016x", req.getInode(),
                    req.getChunkIndex(), ThreadLocalRandom.current().nextLong())).addAllTargets(targets)
                    .setQuorum(FsLayout.quorum(nodes.size())).build();
        }, e -> AllocateBlockResponse.newBuilder().setErrno(e).build());
    }

    @Override
    public void commitChunks(CommitChunksRequest req, StreamObserver<FsEntryResponse> out) {
        answer(out, () -> {
            Inode n = inodes.get(req.getInode());
            if (n == null) {
                throw new ErrnoAnswer(Errno.ENOENT);
            }
            if (req.getChunksCount() > 32) {
                throw new ErrnoAnswer(Errno.EINVAL);
            }
            req.getChunksList().forEach(c -> n.chunks.put(c.getIndex(), c));
            n.size = req.getSizeBytes();
            n.mtime = req.getMtimeNs();
            return FsEntryResponse.newBuilder().setEntry(entry(n, "", false)).build();
        }, FakeMetadata::entryErrno);
    }

    @Override
    public void reportCorruptBlock(ReportCorruptBlockRequest req, StreamObserver<ReportCorruptBlockResponse> out) {
        corruptReports.add(req.getBlockId());
        out.onNext(ReportCorruptBlockResponse.getDefaultInstance());
        out.onCompleted();
    }

    @Override
    public void reportBlocks(ReportBlocksRequest req, StreamObserver<ReportBlocksResponse> out) {
        blockReports.add(req);
        out.onNext(ReportBlocksResponse.newBuilder().addAllDeleteBlockIds(deleteOnReport).build());
        out.onCompleted();
    }

    /** The chunk map of the file at path, as committed. */
    synchronized List<FsChunk> chunks(String path) throws Exception {
        return List.copyOf(resolve(path).chunks.values());
    }
}
