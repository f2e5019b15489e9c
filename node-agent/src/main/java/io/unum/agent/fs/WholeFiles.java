package io.unum.agent.fs;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.api.fs.FsPath;
import io.unum.api.fs.InvalidFsPathException;
import io.unum.api.grpc.CreateEntryRequest;
import io.unum.api.grpc.FsEntry;
import io.unum.api.grpc.FsEntryType;
import io.unum.api.grpc.WriteFileHeader;
import java.util.function.Consumer;

/**
 * Whole files for the public API (the control plane forwards uploads and downloads here), read and
 * written through the node's open files as the mount does, as uid 0: the caller is an admin.
 */
final class WholeFiles {
    private static final int PIECE = BlockPeers.PIECE;
    private static final int DEFAULT_MODE = 0644;
    private static final int DIRECTORY_MODE = 0755;

    private final MetadataClient metadata;
    private final OpenFiles files;

    WholeFiles(MetadataClient metadata, OpenFiles files) {
        this.metadata = metadata;
        this.files = files;
    }

    /** The file's bytes in order, in pieces of at most 1 MiB. */
    void read(String path, Consumer<byte[]> out) {
        String p = checked(path);
        long inode = call(() -> files.open(p));
        try {
            for (long offset = 0; ; ) {
                long at = offset;
                byte[] piece = call(() -> files.read(inode, at, PIECE));
                if (piece.length == 0) {
                    return;
                }
                out.accept(piece);
                offset += piece.length;
            }
        } finally {
            call(() -> {
                files.release(inode);
                return null;
            });
        }
    }

    /** An upload in progress: {@link #write} each data message, then {@link #finish}. */
    final class Upload {
        private final String path;
        private final long inode;
        private long offset;
        private boolean open = true;

        private Upload(String path, long inode) {
            this.path = path;
            this.inode = inode;
        }

        void write(byte[] data) {
            call(() -> {
                files.write(inode, offset, data);
                return null;
            });
            offset += data.length;
        }

        /** Commits; answers once every chunk is committed on its quorum. */
        FsEntry finish() {
            open = false;
            call(() -> {
                files.release(inode);
                return null;
            });
            return call(() -> metadata.getAttributes(path));
        }

        /** The upload broke off: what was written is committed as far as it got (as a killed cp would leave it). */
        void abandon() {
            if (!open) {
                return;
            }
            open = false;
            try {
                files.release(inode);
            } catch (FsErrnoException ignored) {
                // the caller already has its error
            }
        }
    }

    /** Creates the file (or empties the existing one, unless no_replace) and opens it for writing. */
    Upload create(WriteFileHeader header) {
        FsPath path = parse(header.getPath());
        if (path.isRoot()) {
            throw Status.INVALID_ARGUMENT.withDescription("/ is a directory").asRuntimeException();
        }
        String p = path.toString();
        if (header.getMakeParents()) {
            makeDirectories(path.parent().toString(), DIRECTORY_MODE);
        }
        int mode = header.getMode() != 0 ? header.getMode() & 07777 : DEFAULT_MODE;
        // The goal applies to a new file; an existing one keeps its own (`unum fs replicas` changes it).
        if (!createIfMissing(p, FsEntryType.FS_ENTRY_TYPE_FILE, mode, header.getReplicas())) {
            if (header.getNoReplace()) {
                throw Status.ALREADY_EXISTS.withDescription(p + " exists").asRuntimeException();
            }
            call(() -> {
                files.truncate(p, 0);
                return null;
            });
        }
        return new Upload(p, call(() -> files.open(p)));
    }

    /** Each missing directory of path, with mode; an existing one is left as it is. */
    void makeDirectories(String path, int mode) {
        FsPath dir = FsPath.ROOT;
        for (String name : parse(path).names()) {
            dir = dir.child(name);
            createIfMissing(dir.toString(), FsEntryType.FS_ENTRY_TYPE_DIRECTORY, mode, 0);
        }
    }

    /** Whether it was created (false: the name was taken). */
    private boolean createIfMissing(String path, FsEntryType type, int mode, int replicas) {
        try {
            metadata.create(CreateEntryRequest.newBuilder().setPath(path).setType(type).setMode(mode).setUid(0).setGid(0)
                    .setReplicas(replicas).build());
            return true;
        } catch (FsErrnoException e) {
            if (e.errno() == Errno.EEXIST) {
                return false;
            }
            throw status(e);
        }
    }

    private static String checked(String path) {
        return parse(path).toString();
    }

    private static FsPath parse(String path) {
        try {
            return FsPath.parse(path);
        } catch (InvalidFsPathException e) {
            throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
        }
    }

    private interface Call<T> {
        T run() throws FsErrnoException;
    }

    private static <T> T call(Call<T> call) {
        try {
            return call.run();
        } catch (FsErrnoException e) {
            throw status(e);
        }
    }

    /** The errno of the mount's calls, as the gRPC status the control plane turns into problem+json. */
    static StatusRuntimeException status(FsErrnoException e) {
        Status s = switch (e.errno()) {
            case Errno.ENOENT -> Status.NOT_FOUND;
            case Errno.EEXIST -> Status.ALREADY_EXISTS;
            case Errno.EINVAL, Errno.ENAMETOOLONG -> Status.INVALID_ARGUMENT;
            case Errno.EPERM, Errno.EACCES -> Status.PERMISSION_DENIED;
            case Errno.EISDIR, Errno.ENOTDIR, Errno.ENOTEMPTY, Errno.EXDEV -> Status.FAILED_PRECONDITION;
            case Errno.ENOSPC -> Status.RESOURCE_EXHAUSTED;
            default -> Status.UNAVAILABLE;
        };
        return s.withDescription(e.getMessage()).asRuntimeException();
    }
}
