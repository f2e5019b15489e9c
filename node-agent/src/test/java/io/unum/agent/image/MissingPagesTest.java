package io.unum.agent.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CRIU's pagemap image read the way CRIU writes it, and the pages a live process has. */
class MissingPagesTest {
    private static final long PE_LAZY = 1 << 1;
    private static final long PE_PRESENT = 1 << 2;

    @TempDir
    Path dir;

    @Test
    void onlyTheLazyRangesOfEachTaskAreRead() throws IOException {
        Files.write(dir.resolve("pagemap-1.img"), pagemap(
                entry(0x400000, 3, PE_PRESENT), entry(0x7f0000000000L, 256, PE_LAZY), entry(0x7f0000200000L, 2, PE_LAZY | PE_PRESENT)));
        Files.write(dir.resolve("pagemap-7.img"), pagemap(entry(0x10000, 1, PE_LAZY)));

        List<MissingPages.Range> lazy = MissingPages.lazyRanges(dir);

        assertEquals(List.of(new MissingPages.Range(1, 0x7f0000000000L, 256), new MissingPages.Range(1, 0x7f0000200000L, 2),
                new MissingPages.Range(7, 0x10000, 1)), lazy);
    }

    @Test
    void pagesAProcessDoesNotHaveAreMissingAndATaskThatIsGoneMissesAll() throws IOException {
        // Page 0 is never mapped in a Linux process: all missing. Task 7 has no host pid: all missing.
        Files.write(dir.resolve("pagemap-1.img"), pagemap(entry(0, 2, PE_LAZY)));
        Files.write(dir.resolve("pagemap-7.img"), pagemap(entry(0x10000, 5, PE_LAZY)));

        MissingPages.Report r = MissingPages.of(MissingPages.lazyRanges(dir), Map.of(1, (int) ProcessHandle.current().pid()));

        assertEquals(7, r.missingPages());
        assertEquals(7, r.lazyPages());
        assertTrue(r.describe().startsWith("7 of its 7 lazily restored pages (4 KiB) had not arrived, in 2 ranges: task 1 0-2000"),
                r.describe());
    }

    private static byte[] entry(long vaddr, int pages, long flags) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        c.writeUInt64(1, vaddr);
        c.writeUInt32(2, pages);
        c.writeUInt32(4, (int) flags);
        c.flush();
        return out.toByteArray();
    }

    private static byte[] pagemap(byte[]... entries) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
        CodedOutputStream head = CodedOutputStream.newInstance(headBytes);
        head.writeUInt32(1, 1);
        head.flush();
        body.write(record(headBytes.toByteArray()));
        for (byte[] e : entries) {
            body.write(record(e));
        }
        ByteBuffer magic = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0x54564319).putInt(0x56084025);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(magic.array());
        all.write(body.toByteArray());
        return all.toByteArray();
    }

    private static byte[] record(byte[] proto) {
        return ByteBuffer.allocate(4 + proto.length).order(ByteOrder.LITTLE_ENDIAN).putInt(proto.length).put(proto).array();
    }
}
