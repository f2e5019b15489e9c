package io.unum.agent.fs;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The blocks this node keeps, one file each under the storage directory (0700). A block file
 * starts with a header (magic, length, CRC-32C) so that the scrubber can verify it without asking
 * the control plane. A block is written to a temporary file, fsynced, renamed into place and the
 * directory fsynced: once {@link #put} returns, the block survives a crash whole or not at all.
 */
public final class BlockStore {
    private static final int MAGIC = 0x554e4d42; // "UNMB"
    static final int HEADER_BYTES = 16;
    private static final String TEMP_PREFIX = ".tmp-";

    /** A stored block's id, its size on disk and when it was written. */
    public record Stored(String id, long bytes, Instant written) {
    }

    /** The storage file system's figures and what the blocks take of it. */
    public record Figures(long capacityBytes, long freeBytes, long usedBytes, long blocks) {
    }

    private final Path dir;

    private BlockStore(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating, 0700) the storage directory and removes temporary files a crash left. */
    public static BlockStore open(Path dir) throws IOException {
        PrivateFiles.createDirectories(dir);
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
            for (Path t : temps) {
                Files.deleteIfExists(t);
            }
        }
        return new BlockStore(dir);
    }

    /** Stores a verified block durably; an existing copy of the same id is replaced (ids are never reused). */
    public void put(Block block) throws IOException {
        Block.checkId(block.id());
        Path temp = dir.resolve(TEMP_PREFIX + block.id() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel ch = PrivateFiles.createNew(temp)) {
                ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(block.crc32c()).putLong(block.length());
                header.flip();
                writeFully(ch, header);
                writeFully(ch, ByteBuffer.wrap(block.data()));
                ch.force(true);
            }
            Files.move(temp, file(block.id()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    boolean contains(String id) {
        Block.checkId(id);
        return Files.isRegularFile(file(id));
    }

    /**
     * The block, checked against its header.
     *
     * @return empty when this node does not have it
     * @throws CorruptBlockException when its bytes no longer match (the caller reports and deletes it)
     */
    public Optional<Block> get(String id) throws IOException, CorruptBlockException {
        Block.checkId(id);
        byte[] raw;
        try {
            raw = Files.readAllBytes(file(id));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (raw.length < HEADER_BYTES || b.getInt() != MAGIC) {
            throw new CorruptBlockException(id, "its header is damaged");
        }
        int crc = b.getInt();
        long length = b.getLong();
        byte[] data = new byte[raw.length - HEADER_BYTES];
        b.get(data);
        return Optional.of(Block.verified(id, data, length, crc));
    }

    /** Whether the block was there. */
    public boolean delete(String id) throws IOException {
        Block.checkId(id);
        return Files.deleteIfExists(file(id));
    }

    /** Every block stored, with when it was written (temporary files are not blocks yet). */
    public List<Stored> list() throws IOException {
        List<Stored> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.startsWith(TEMP_PREFIX)) {
                    continue;
                }
                try {
                    out.add(new Stored(name, Files.size(f), Files.getLastModifiedTime(f).toInstant()));
                } catch (NoSuchFileException e) {
                    // deleted meanwhile
                }
            }
        }
        return out;
    }

    public Figures figures() throws IOException {
        FileStore store = Files.getFileStore(dir);
        List<Stored> blocks = list();
        return new Figures(store.getTotalSpace(), store.getUsableSpace(), blocks.stream().mapToLong(Stored::bytes).sum(),
                blocks.size());
    }

    /** The block's file (tests damage it). */
    Path file(String id) {
        return dir.resolve(id);
    }

    private void syncDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
