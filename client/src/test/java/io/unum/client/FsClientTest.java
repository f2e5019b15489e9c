package io.unum.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.unum.api.fs.FsPath;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FsClientTest {
    private static final URI SERVER = URI.create("http://127.0.0.1:1");

    @Test
    void treePathsTravelWithoutTheirLeadingSlashEachNameEncoded() {
        assertEquals("", UnumClient.fsPath(FsPath.ROOT));
        assertEquals("data/a.txt", UnumClient.fsPath(FsPath.parse("/data/a.txt")));
        assertEquals("my%20dir/a%3Fb%23c/%C3%A9%25", UnumClient.fsPath(FsPath.parse("/my dir/a?b#c/é%")));
    }

    @Test
    void copyReportsEveryBufferAgainstTheTotal() {
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        List<Long> seen = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = Transfer.copy(new ByteArrayInputStream(data), out, data.length, (done, total) -> {
            assertEquals(data.length, total);
            seen.add(done);
        }, SERVER);
        assertEquals(data.length, n);
        assertArrayEquals(data, out.toByteArray());
        assertEquals(data.length, seen.get(seen.size() - 1));
        assertEquals(seen.stream().sorted().distinct().toList(), seen);
    }

    @Test
    void aReadFailureIsTheExchangesAndAWriteFailureIsTheLocalSides() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        assertThrows(UnumIoException.class,
                () -> Transfer.copy(broken, new ByteArrayOutputStream(), -1, TransferProgress.NONE, SERVER));
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> Transfer.copy(new ByteArrayInputStream(new byte[10]), full, 10, TransferProgress.NONE, SERVER));
        assertEquals(UncheckedIOException.class, e.getClass());
    }

    @Test
    void countingStreamTellsHowMuchWasRead() throws IOException {
        List<Long> seen = new ArrayList<>();
        try (InputStream in = Transfer.counting(new ByteArrayInputStream(new byte[100]), 100, (done, total) -> seen.add(done))) {
            in.read();
            in.readNBytes(new byte[99], 0, 99);
        }
        assertEquals(1L, seen.get(0));
        assertEquals(100L, seen.get(seen.size() - 1));
    }
}
