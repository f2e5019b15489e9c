package io.unum.api.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void readsBytesAndBinaryUnits() {
        assertEquals(0, ByteSize.parse(null));
        assertEquals(0, ByteSize.parse(" "));
        assertEquals(4096, ByteSize.parse("4096"));
        assertEquals(64L << 10, ByteSize.parse("64K"));
        assertEquals(512L << 20, ByteSize.parse("512m"));
        assertEquals(2L << 30, ByteSize.parse(" 2G "));
    }

    @Test
    void refusesWhatIsNotASize() {
        for (String bad : new String[] {"-1", "1.5G", "G", "12T", "x", "9223372036854775807G"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(bad), bad);
            assertEquals("'" + bad + "' is not a size: expected bytes, or a whole number with K, M or G", e.getMessage());
        }
    }
}
