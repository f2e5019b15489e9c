package io.unum.agent.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.InsecureChannelCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.util.MutableHandlerRegistry;
import io.unum.agent.registration.ControlPlaneClient;
import io.unum.api.fs.FsLayout;
import io.unum.api.grpc.FsChunk;
import io.unum.api.grpc.FsReplica;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mount end to end: a real FUSE mount of this agent's file system code, real programs on it,
 * blocks stored on this node (n1) and on a second node's real block service (n2) over gRPC. The
 * metadata is a hand-written fake of the control plane's FsMetadataService (FakeMetadata).
 */
class FuseMountTest {
    @TempDir
    Path tmp;

    private Server server;
    private ControlPlaneClient client;
    private FakeMetadata metadata;
    private FsNode n1;
    private FsNode n2;
    private Path mnt;

    @BeforeEach
    void mount() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse")),
                "a FUSE mount needs root and /dev/fuse");
        MutableHandlerRegistry services = new MutableHandlerRegistry();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).fallbackHandlerRegistry(services)
                .build().start();
        String address = "127.0.0.1:" + server.getPort();
        client = new ControlPlaneClient(List.of(address), InsecureChannelCredentials.create(), null);
        metadata = new FakeMetadata(List.of(FsReplica.newBuilder().setNode("n1").build(),
                FsReplica.newBuilder().setNode("n2").setAddress(address).build()));
        services.addService(metadata);
        n2 = FsNode.open("n2", tmp.resolve("blocks-n2"), client, InsecureChannelCredentials.create());
        services.addService(n2.service());
        n1 = FsNode.open("n1", tmp.resolve("blocks-n1"), client, InsecureChannelCredentials.create());
        mnt = n1.mount(tmp.resolve("mnt")).orElseThrow();
    }

    @AfterEach
    void unmount() {
        if (n1 != null) {
            n1.close();
        }
        if (n2 != null) {
            n2.close();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.shutdownNow();
        }
    }

    @Test
    void aLargeCopyReadsBackIntactAndACorruptLocalBlockIsReportedAndReadFromThePeer() throws Exception {
        Path src = tmp.resolve("src");
        byte[] data = new byte[80 * 1024 * 1024 + 12345];
        new Random(7).nextBytes(data);
        Files.write(src, data);

        run("cp", src.toString(), mnt.resolve("big").toString());

        List<FsChunk> chunks = metadata.chunks("/big");
        assertEquals(21, chunks.size());
        for (FsChunk c : chunks) {
            assertEquals(List.of("n1", "n2"), c.getReplicasList().stream().map(FsReplica::getNode).toList(), "chunk " + c.getIndex());
        }
        assertEquals(12345, chunks.get(20).getLength());
        String first = chunks.get(0).getBlockId();
        Path local = tmp.resolve("blocks-n1").resolve(first);
        try (FileChannel ch = FileChannel.open(local, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) ~data[100]}), BlockStore.HEADER_BYTES + 100);
        }

        assertEquals(sha256(data), run("sha256sum", mnt.resolve("big").toString()).split(" ")[0]);
        assertEquals(List.of(first), metadata.corruptReports);
        assertFalse(Files.exists(local), "the corrupt copy is deleted");
    }

    @Test
    void programsAppendTruncateRenameLinkAndSeeOwnersAndModes() throws Exception {
        Path f = mnt.resolve("f");
        run("python3", "-c", "import sys\nfor i in range(3):\n    open(sys.argv[1], 'a').write('line %d\\n' % i)", f.toString());
        assertEquals("line 0\nline 1\nline 2\n", run("cat", f.toString()));

        run("truncate", "-s", "3", f.toString());
        run("truncate", "-s", "6", f.toString());
        assertArrayEquals("lin\0\0\0".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(f), "the cut-off bytes read as zeros");

        run("mv", f.toString(), mnt.resolve("g").toString());
        assertFalse(Files.exists(f));
        assertEquals(6, Files.size(mnt.resolve("g")));
        run("ln", mnt.resolve("g").toString(), mnt.resolve("h").toString());

        run("sh", "-c", "cd " + mnt + " && umask 022 && touch p && chmod 640 p && chown 1234:2345 p");
        String ls = run("ls", "-ln", mnt.resolve("p").toString());
        assertTrue(ls.startsWith("-rw-r----- 1 1234 2345 0 "), ls);
        assertTrue(run("ls", "-ln", mnt.resolve("h").toString()).startsWith("-rw-r--r-- 2 0 0 6 "), "a hard link");

        run("mkdir", "-p", mnt.resolve("d/e").toString());
        run("ln", "-s", "../g", mnt.resolve("d/l").toString());
        assertEquals("../g\n", run("readlink", mnt.resolve("d/l").toString()));
        assertEquals("lin", run("head", "-c", "3", mnt.resolve("d/l").toString()));
        assertNotEquals(0, exit("rmdir", mnt.resolve("d").toString()), "a directory that is not empty stays");
        assertEquals("d\ng\nh\np\n", run("ls", mnt.toString()));
    }

    @Test
    void aSparseFileBeyondFiveGibibytesReadsItsHoleAsZeros() throws Exception {
        Path f = mnt.resolve("sparse");
        String script = """
                import sys
                p = sys.argv[1]
                with open(p, 'wb') as f:
                    f.seek(5 * 2**30)
                    f.write(b'end')
                with open(p, 'rb') as f:
                    f.seek(4 * 2**30 + 17)
                    hole = f.read(1 << 20)
                    f.seek(5 * 2**30 - 2)
                    tail = f.read()
                print(len(hole), hole.count(0), tail)
                """;
        assertEquals("1048576 1048576 b'\\x00\\x00end'\n", run("python3", "-c", script, f.toString()));
        assertEquals(5L * 1024 * 1024 * 1024 + 3, Files.size(f));
        List<FsChunk> chunks = metadata.chunks("/sparse");
        assertEquals(1, chunks.size(), "only the written chunk has a block");
        assertEquals(5L * 1024 * 1024 * 1024 / FsLayout.CHUNK_SIZE, chunks.get(0).getIndex());
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** Runs a program to its end; its output, or a failure with it. */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = read(p.getInputStream());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    private static int exit(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        read(p.getInputStream());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
        return p.exitValue();
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
