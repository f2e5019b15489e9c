package io.unum.controlplane.fs;

import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The key layout below {@code <etcd prefix>fs/} (docs/design/file-system.md) and block ids. Inode
 * numbers are 16 hex digits and chunk indexes 12 decimal digits, so keys sort in number order.
 */
final class FsKeys {
    static final long ROOT = 1;
    private static final String BLOCK_ID = "[0-9a-f]{16}-[0-9]+-[0-9a-f]{16}";

    private FsKeys() {
    }

    static String ino(long ino) {
        return String.format("%016x", ino);
    }

    static String inode(long ino) {
        return "inodes/" + ino(ino);
    }

    static String dirents(long parent) {
        return "dirents/" + ino(parent) + "/";
    }

    static String dirent(long parent, String name) {
        return dirents(parent) + name;
    }

    static String chunks(long ino) {
        return "chunks/" + ino(ino) + "/";
    }

    static String chunk(long ino, long index) {
        return chunks(ino) + String.format("%012d", index);
    }

    static long chunkIndex(String chunkKey) {
        return Long.parseLong(chunkKey.substring(chunkKey.lastIndexOf('/') + 1));
    }

    static String orphan(long ino) {
        return "orphans/" + ino(ino);
    }

    static String garbage(String blockId, String node) {
        return "garbage/" + blockId + "/" + node;
    }

    static final String LOCKS = "locks/";

    static String locks(long ino) {
        return LOCKS + ino(ino);
    }

    static String usage(String node) {
        return "usage/" + node;
    }

    static final String NEXT_INODE = "next-inode";
    static final String REPAIR_STATUS = "repair-status";

    /** {@code <ino 16 hex>-<chunk index>-<16 random hex>}: names the chunk that should reference it. */
    static String newBlockId(long ino, long index) {
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        return ino(ino) + "-" + index + "-" + HexFormat.of().formatHex(random);
    }

    /** The chunk a block id names. */
    record ChunkRef(long ino, long index) {
    }

    static Optional<ChunkRef> chunkOf(String blockId) {
        if (blockId == null || !blockId.matches(BLOCK_ID)) {
            return Optional.empty();
        }
        String[] parts = blockId.split("-");
        try {
            return Optional.of(new ChunkRef(Long.parseUnsignedLong(parts[0], 16), Long.parseLong(parts[1])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
