package io.unum.agent.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** A file read and written a 4 KiB page at a time: a node's copy of a segment, a home's clean copies. */
final class PageFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;

    PageFile(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** The page's bytes; zeros past the end of the file (a page never written). */
    byte[] read(long page) {
        ByteBuffer b = ByteBuffer.allocate(LocalSegment.PAGE);
        try {
            while (b.hasRemaining()) {
                if (channel.read(b, page * LocalSegment.PAGE + b.position()) < 0) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.array();
    }

    void write(long page, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        try {
            while (b.hasRemaining()) {
                channel.write(b, page * LocalSegment.PAGE + b.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes and deletes the file. */
    @Override
    public void close() {
        try {
            channel.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // the directory goes with the agent's state anyway
        }
    }
}
