package io.unum.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class EtcdServerTest {
    private static String get(String url) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    @Test
    void startsAnswersHealthAndCloseRemovesProcessAndDataDir() throws Exception {
        EtcdServer etcd = EtcdServer.start();
        ProcessHandle process = etcd.processHandle();
        Path dataDir = etcd.dataDir();
        try {
            assertTrue(etcd.endpoint().matches("http://127\\.0\\.0\\.1:\\d+"), etcd.endpoint());
            assertTrue(get(etcd.endpoint() + "/health").replace(" ", "").contains("\"health\":\"true\""));
            assertTrue(process.isAlive());
            assertTrue(Files.isDirectory(dataDir.resolve("member")), "etcd initialised its data dir");
        } finally {
            etcd.close();
        }
        assertFalse(process.isAlive(), "etcd process gone after close()");
        assertFalse(Files.exists(dataDir), "temporary data dir deleted");
        assertFalse(Files.exists(etcd.logFile()), "temporary log deleted");
    }

    @Test
    void twoServersAtOnceGetDifferentPorts() throws Exception {
        try (EtcdServer a = EtcdServer.start(); EtcdServer b = EtcdServer.start()) {
            Set<Integer> ports = new HashSet<>(List.of(a.clientPort(), a.peerPort(), b.clientPort(), b.peerPort()));
            assertEquals(4, ports.size(), "four distinct ports: " + ports);
            assertNotEquals(a.endpoint(), b.endpoint());
            assertNotEquals(a.dataDir(), b.dataDir());
            get(a.endpoint() + "/health");
            get(b.endpoint() + "/health");
        }
    }

    @Test
    void givenDataDirAndLogAreKeptOnClose(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("etcd");
        Path log = dir.resolve("logs/etcd.log");
        ProcessHandle process;
        try (EtcdServer etcd = EtcdServer.builder().name("kept").dataDir(data).logFile(log).start()) {
            process = etcd.processHandle();
            get(etcd.endpoint() + "/health");
        }
        assertFalse(process.isAlive());
        assertTrue(Files.isDirectory(data.resolve("member")));
        assertTrue(Files.size(log) > 0, "etcd logged to the given file");
    }

    @Test
    void takenFixedPortFailsWithTheLogTail() throws Exception {
        try (EtcdServer first = EtcdServer.start()) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> EtcdServer.builder().clientPort(first.clientPort()).start().close());
            assertTrue(e.getMessage().contains("etcd exited"), e.getMessage());
            assertTrue(e.getMessage().toLowerCase().contains("address already in use"), e.getMessage());
        }
    }
}
