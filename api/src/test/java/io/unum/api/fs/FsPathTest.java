package io.unum.api.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FsPathTest {

    @Test
    void acceptsAbsolutePathsAndOneTrailingSlash() {
        assertEquals("/", FsPath.parse("/").toString());
        assertEquals("/data/a.txt", FsPath.parse("/data/a.txt").toString());
        assertEquals("/data", FsPath.parse("/data/").toString());
        assertEquals("/data", FsPath.parse("/data/a.txt").parent().toString());
        assertTrue(FsPath.parse("/data/x").isWithin(FsPath.parse("/data")));
    }

    @Test
    void refusesTricksAndSaysWhy() {
        for (String bad : new String[] {"", "data", "/a/../b", "/a/./b", "/..", "/a//b", "/a\0b"}) {
            InvalidFsPathException e = assertThrows(InvalidFsPathException.class, () -> FsPath.parse(bad), bad);
            assertTrue(!e.tooLong(), bad);
        }
        assertTrue(assertThrows(InvalidFsPathException.class, () -> FsPath.parse("/" + "n".repeat(256))).tooLong());
        assertTrue(assertThrows(InvalidFsPathException.class, () -> FsPath.parse("/a".repeat(2049))).tooLong());
    }
}
