package io.unum.agent.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's copy against grants and revocations that cross on the way from the home. */
class LocalSegmentTest {
    @TempDir
    Path dir;

    private static byte[] page(int value) {
        byte[] b = new byte[LocalSegment.PAGE];
        b[0] = (byte) value;
        return b;
    }

    private LocalSegment segment() {
        return new LocalSegment(3, 2 * LocalSegment.PAGE, "home", "1", dir.resolve("seg-3"));
    }

    @Test
    void aRevocationThatOvertakesItsGrantIsNotUndoneByIt() {
        LocalSegment seg = segment();
        assertFalse(seg.revoke(0, 5, LocalSegment.INVALID), "grant 5 has not arrived: the bytes are the home's");
        assertTrue(seg.install(new HomeDirectory.Grant(0, LocalSegment.WRITE, page(1), 5)));
        assertEquals(LocalSegment.INVALID, seg.state(0));
    }

    @Test
    void aDowngradeThatOvertakesAWriteGrantLeavesTheBytesReadable() {
        LocalSegment seg = segment();
        seg.revoke(1, 8, LocalSegment.READ);
        seg.install(new HomeDirectory.Grant(1, LocalSegment.WRITE, page(4), 8));
        assertEquals(LocalSegment.READ, seg.state(1));
        assertArrayEquals(page(4), seg.read(1));
    }

    @Test
    void anOlderGrantArrivingLateIsIgnored() {
        LocalSegment seg = segment();
        seg.install(new HomeDirectory.Grant(0, LocalSegment.READ, page(2), 7));
        assertFalse(seg.install(new HomeDirectory.Grant(0, LocalSegment.WRITE, page(1), 6)));
        assertEquals(LocalSegment.READ, seg.state(0));
        assertArrayEquals(page(2), seg.read(0));
        assertTrue(seg.revoke(0, 7, LocalSegment.INVALID), "grant 7 was installed: the node's bytes are the page's");
        assertEquals(LocalSegment.INVALID, seg.state(0));
    }
}
