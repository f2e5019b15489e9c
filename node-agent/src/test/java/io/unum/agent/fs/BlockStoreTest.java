package io.unum.agent.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockStoreTest {
    @TempDir
    Path dir;

    private static Block block(String id, int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return new Block(id, data, Block.crc(data, size));
    }

    @Test
    void storesVerifiesAndDeletes() throws Exception {
        BlockStore store = BlockStore.open(dir.resolve("blocks"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("blocks"))));
        Block b = block("0000000000000002-0-00000000000000aa", 4 * 1024 * 1024);
        store.put(b);
        assertArrayEquals(b.data(), store.get(b.id()).orElseThrow().data());
        assertTrue(store.contains(b.id()));
        assertEquals(List.of(b.id()), store.list().stream().map(BlockStore.Stored::id).toList());
        BlockStore.Figures f = store.figures();
        assertEquals(1, f.blocks());
        assertEquals(4 * 1024 * 1024 + BlockStore.HEADER_BYTES, f.usedBytes());
        assertTrue(f.capacityBytes() > 0 && f.freeBytes() > 0);
        assertTrue(store.get("0000000000000002-1-00000000000000aa").isEmpty(), "a block this node does not have");
        assertTrue(store.delete(b.id()));
        assertFalse(store.delete(b.id()));
        assertTrue(store.list().isEmpty());
    }

    @Test
    void aFlippedByteOrACutFileIsCorrupt() throws Exception {
        BlockStore store = BlockStore.open(dir);
        Block b = block("b1", 10_000);
        store.put(b);
        try (FileChannel ch = FileChannel.open(store.file("b1"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) ~b.data()[5000]}), BlockStore.HEADER_BYTES + 5000);
        }
        CorruptBlockException e = assertThrows(CorruptBlockException.class, () -> store.get("b1"));
        assertTrue(e.getMessage().contains("CRC-32C"), e.getMessage());

        store.put(block("b2", 10_000));
        try (FileChannel ch = FileChannel.open(store.file("b2"), StandardOpenOption.WRITE)) {
            ch.truncate(5000);
        }
        e = assertThrows(CorruptBlockException.class, () -> store.get("b2"));
        assertTrue(e.getMessage().contains("expected 10000"), e.getMessage());
    }

    @Test
    void bytesThatDoNotMatchTheirChecksumAreNeverStored() {
        byte[] data = new byte[100];
        assertThrows(CorruptBlockException.class, () -> Block.verified("b", data, 100, Block.crc(data, 100) + 1));
        assertThrows(CorruptBlockException.class, () -> Block.verified("b", data, 99, Block.crc(data, 100)));
    }

    @Test
    void idsThatCouldNameAnotherFileAreRefused() throws Exception {
        BlockStore store = BlockStore.open(dir);
        for (String bad : List.of("../x", ".tmp-x", "", "a/b", "x\0")) {
            assertThrows(IllegalArgumentException.class, () -> store.put(new Block(bad, new byte[0], 0)), bad);
        }
    }

    @Test
    void aCrashBeforeTheRenameLeavesNoBlock() throws Exception {
        Files.write(dir.resolve(".tmp-b1-1234"), new byte[] {1, 2, 3});
        BlockStore store = BlockStore.open(dir);
        assertTrue(store.list().isEmpty());
        assertFalse(Files.exists(dir.resolve(".tmp-b1-1234")), "a half-written block is removed at start");
    }
}
