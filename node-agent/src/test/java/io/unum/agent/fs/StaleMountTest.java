package io.unum.agent.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.InsecureChannelCredentials;
import io.unum.agent.registration.ControlPlaneClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.FuseStubFS;

/** An agent killed with SIGKILL leaves a dead FUSE mount; the next one at the same path recovers it. */
class StaleMountTest {
    @TempDir
    Path tmp;

    /** A FUSE daemon in a JVM of its own, to be killed. */
    public static final class Mounter {
        public static void main(String[] args) {
            new FuseStubFS().mount(Path.of(args[0]), true, false, new String[0]);
        }
    }

    @Test
    void aDeadMountIsDetachedAndMountedAgain() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse")),
                "a FUSE mount needs root and /dev/fuse");
        Path at = tmp.resolve("mnt");
        Files.createDirectories(at);
        Process daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Mounter.class.getName(), at.toString()).inheritIO().start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!FsMount.mounted(at)) {
                assertTrue(System.nanoTime() < deadline && daemon.isAlive(), "the daemon's mount did not appear");
                Thread.sleep(50);
            }
        } finally {
            daemon.destroyForcibly().waitFor();
        }
        IOException dead = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Files.readAttributes(at, "unix:ino"));
        assertTrue(dead.getMessage().contains("not connected"), dead.getMessage());

        try (ControlPlaneClient client = new ControlPlaneClient(List.of("127.0.0.1:1"), InsecureChannelCredentials.create(), null);
                FsNode node = FsNode.open("n1", tmp.resolve("blocks"), client, InsecureChannelCredentials.create())) {
            assertEquals(at, node.mount(at).orElseThrow());
            assertTrue(FsMount.mounted(at));
            // Mounted by this node now: it answers (EIO, as no control plane listens) instead of ENOTCONN.
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Files.readAttributes(at, "unix:ino"));
            assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
        }
        assertTrue(!FsMount.mounted(at), "unmounted on close");
    }
}
