package io.unum.agent.fs;

import io.grpc.StatusRuntimeException;
import io.unum.api.grpc.WriteFileHeader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Whole files of the tree for the agent's own use (checkpoint images), without the mount: the
 * same open files the mount and the public API write through, as uid 0. A write returns once
 * every chunk is committed on its quorum.
 */
public final class TreeFiles {
    private static final int PIECE = 1 << 20;

    private final WholeFiles files;

    TreeFiles(WholeFiles files) {
        this.files = files;
    }

    /** Makes each missing directory of path with mode (an existing one keeps its own). */
    public void makeDirectories(String path, int mode) throws IOException {
        try {
            files.makeDirectories(path, mode);
        } catch (StatusRuntimeException e) {
            throw new IOException("cannot make " + path + " in the cluster file system: " + e.getStatus().getDescription(), e);
        }
    }

    /**
     * A new file at path (replaced if it exists), mode for a new file, written as a stream: it is
     * committed on its quorum when the stream closes.
     */
    public OutputStream create(String path, int mode) throws IOException {
        WholeFiles.Upload upload;
        try {
            upload = files.create(WriteFileHeader.newBuilder().setPath(path).setMode(mode).build());
        } catch (StatusRuntimeException e) {
            throw new IOException("cannot write " + path + " in the cluster file system: " + e.getStatus().getDescription(), e);
        }
        return new java.io.BufferedOutputStream(new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    upload.write(java.util.Arrays.copyOfRange(b, off, off + len));
                } catch (StatusRuntimeException e) {
                    upload.abandon();
                    closed = true;
                    throw new IOException("writing " + path + " in the cluster file system failed: "
                            + e.getStatus().getDescription(), e);
                }
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    upload.finish();
                } catch (StatusRuntimeException e) {
                    throw new IOException("committing " + path + " in the cluster file system failed: "
                            + e.getStatus().getDescription(), e);
                }
            }
        }, PIECE);
    }

    /** Copies path's bytes to out; NoSuchFileException when it is not in the tree. */
    public void read(String path, OutputStream out) throws IOException {
        try {
            files.read(path, piece -> {
                try {
                    out.write(piece);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
                throw new java.nio.file.NoSuchFileException(path);
            }
            throw new IOException("reading " + path + " from the cluster file system failed: " + e.getStatus().getDescription(), e);
        }
    }
}
