package io.unum.agent.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.unum.api.grpc.FsBlockServiceGrpc;
import io.unum.api.grpc.FsEntry;
import io.unum.api.grpc.ReadFileRequest;
import io.unum.api.grpc.ReportBlocksRequest;
import io.unum.api.grpc.WriteFileHeader;
import io.unum.api.grpc.WriteFileRequest;
import io.unum.api.grpc.WriteFileResponse;
import java.io.ByteArrayOutputStream;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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
    private Server n1Server;
    private ControlPlaneClient client;
    private FakeMetadata metadata;
    private FsNode n1;
    private FsNode n2;
    private Path mnt;

    @BeforeEach
    void mount() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse")),
                "a FUSE mount needs root and /dev/fuse");
        // The control plane and node n2's agent share one server; n1's block service has its own.
        MutableHandlerRegistry services = new MutableHandlerRegistry();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).fallbackHandlerRegistry(services)
                .build().start();
        MutableHandlerRegistry n1Services = new MutableHandlerRegistry();
        n1Server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).fallbackHandlerRegistry(n1Services)
                .build().start();
        String address = "127.0.0.1:" + server.getPort();
        client = new ControlPlaneClient(List.of(address), InsecureChannelCredentials.create(), null);
        metadata = new FakeMetadata(List.of(FsReplica.newBuilder().setNode("n1").setAddress("127.0.0.1:" + n1Server.getPort()).build(),
                FsReplica.newBuilder().setNode("n2").setAddress(address).build()));
        services.addService(metadata);
        n2 = FsNode.open("n2", tmp.resolve("blocks-n2"), client, InsecureChannelCredentials.create());
        services.addService(n2.service());
        n1 = FsNode.open("n1", tmp.resolve("blocks-n1"), client, InsecureChannelCredentials.create());
        n1Services.addService(n1.service());
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
        if (n1Server != null) {
            n1Server.shutdownNow();
        }
    }

    @Test
    void aLargeCopyReadsBackIntactAndACorruptLocalBlockIsReportedAndReadFromThePeer() throws Exception {
        // Written and hashed a piece at a time: the test's own heap stays small beside the two nodes'.
        Path src = tmp.resolve("src");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(7);
        byte[] piece = new byte[1 << 20];
        byte[] first = null;
        try (java.io.OutputStream out = Files.newOutputStream(src)) {
            for (int i = 0; i <= 80; i++) {
                random.nextBytes(piece);
                int n = i < 80 ? piece.length : 12345;
                out.write(piece, 0, n);
                sha.update(piece, 0, n);
                first = first == null ? piece.clone() : first;
            }
        }
        run("cp", src.toString(), mnt.resolve("big").toString());

        List<FsChunk> chunks = metadata.chunks("/big");
        assertEquals(21, chunks.size());
        for (FsChunk c : chunks) {
            assertEquals(List.of("n1", "n2"), c.getReplicasList().stream().map(FsReplica::getNode).toList(), "chunk " + c.getIndex());
        }
        assertEquals(12345, chunks.get(20).getLength());
        String firstBlock = chunks.get(0).getBlockId();
        Path local = tmp.resolve("blocks-n1").resolve(firstBlock);
        try (FileChannel ch = FileChannel.open(local, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) ~first[100]}), BlockStore.HEADER_BYTES + 100);
        }

        assertEquals(HexFormat.of().formatHex(sha.digest()), run("sha256sum", mnt.resolve("big").toString()).split(" ")[0]);
        assertEquals(List.of(firstBlock), metadata.corruptReports);
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

    @Test
    void theControlPlanesUploadsAndDownloadsGoThroughAnAgentAndAreSeenInTheMount() throws Exception {
        byte[] data = new byte[9 * 1024 * 1024 + 7];
        new Random(3).nextBytes(data);
        ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + server.getPort(), InsecureChannelCredentials.create()).build();
        try {
            FsEntry written = upload(ch, WriteFileHeader.newBuilder().setPath("/up/load/x.bin").setMode(0600).setMakeParents(true)
                    .build(), data);
            assertEquals(data.length, written.getSizeBytes());
            assertEquals(0600, written.getMode());
            assertEquals(sha256(data), run("sha256sum", mnt.resolve("up/load/x.bin").toString()).split(" ")[0],
                    "what n2 wrote, n1's mount reads");

            ByteArrayOutputStream read = new ByteArrayOutputStream();
            FsBlockServiceGrpc.newBlockingStub(ch).readFile(ReadFileRequest.newBuilder().setPath("/up/load/x.bin").build())
                    .forEachRemaining(r -> read.writeBytes(r.getData().toByteArray()));
            assertArrayEquals(data, read.toByteArray());

            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> upload(ch,
                    WriteFileHeader.newBuilder().setPath("/up/load/x.bin").setNoReplace(true).build(), new byte[1]));
            assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
            e = assertThrows(StatusRuntimeException.class, () -> upload(ch,
                    WriteFileHeader.newBuilder().setPath("/up/../etc").build(), new byte[1]));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            e = assertThrows(StatusRuntimeException.class, () -> upload(ch,
                    WriteFileHeader.newBuilder().setPath("/nowhere/x").build(), new byte[1]));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            assertEquals(data.length, Files.size(mnt.resolve("up/load/x.bin")), "a refused upload changes nothing");

            assertEquals(3, upload(ch, WriteFileHeader.newBuilder().setPath("/up/load/x.bin").build(), new byte[] {1, 2, 3})
                    .getSizeBytes(), "replaced");
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(mnt.resolve("up/load/x.bin")));
        } finally {
            ch.shutdownNow();
        }
    }

    private static FsEntry upload(ManagedChannel ch, WriteFileHeader header, byte[] data) throws Exception {
        CompletableFuture<WriteFileResponse> answer = new CompletableFuture<>();
        StreamObserver<WriteFileRequest> out = FsBlockServiceGrpc.newStub(ch).writeFile(new StreamObserver<>() {
            @Override
            public void onNext(WriteFileResponse value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        out.onNext(WriteFileRequest.newBuilder().setHeader(header).build());
        for (int off = 0; off < data.length; off += 1 << 20) {
            out.onNext(WriteFileRequest.newBuilder().setData(ByteString.copyFrom(data, off, Math.min(1 << 20, data.length - off))).build());
        }
        out.onCompleted();
        try {
            return answer.get(120, TimeUnit.SECONDS).getEntry();
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    @Test
    void theReportNamesSettledBlocksAndDeletesWhatTheAnswerSaysAndTheScrubberFindsARottenOne() throws Exception {
        run("sh", "-c", "head -c 5000000 /dev/urandom > " + mnt.resolve("r"));
        List<FsChunk> chunks = metadata.chunks("/r");
        BlockStore store = BlockStore.open(tmp.resolve("blocks-n1"));
        MetadataClient md = new MetadataClient(client);
        String old = chunks.get(0).getBlockId();
        String young = chunks.get(1).getBlockId();
        Files.setLastModifiedTime(store.file(old), FileTime.from(Instant.now().minus(BlockReporter.GRACE).minusSeconds(60)));
        metadata.deleteOnReport.add(old);

        new BlockReporter(store, md).run();

        ReportBlocksRequest report = metadata.blockReports.get(metadata.blockReports.size() - 1);
        assertEquals(List.of(old), report.getBlockIdsList(), "a block younger than the grace may still be committed");
        assertTrue(report.getCapacityBytes() > 0 && report.getFreeBytes() > 0 && report.getUsedBytes() > 0, report.toString());
        assertFalse(store.contains(old), "deleted as the answer said");

        try (FileChannel ch = FileChannel.open(store.file(young), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), BlockStore.HEADER_BYTES + 10);
        }
        try (BlockPeers peers = new BlockPeers(InsecureChannelCredentials.create())) {
            BlockScrubber scrubber = new BlockScrubber(store, new BlockReader("n1", store, peers, md, new BlockCache(0)));
            for (int i = 0; i < 3 && store.contains(young); i++) {
                scrubber.run();
            }
        }
        assertTrue(metadata.corruptReports.contains(young), metadata.corruptReports.toString());
        assertFalse(store.contains(young));
    }

    @Test
    void beforeADumpWhatAProcessWroteIsCommittedWhileItKeepsTheFileOpen() throws Exception {
        Path f = mnt.resolve("w");
        Process p = new ProcessBuilder("python3", "-c", "import sys\nf = open(sys.argv[1], 'w')\nf.write('written before the dump'); f.flush()\n"
                + "print('ready', flush=True)\nsys.stdin.read()", f.toString()).start();
        try {
            assertEquals("ready", new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine());
            assertTrue(metadata.chunks("/w").isEmpty(), "written, not committed: the file is still open");

            FsMoveHooks hooks = new FsMoveHooks();
            hooks.use(n1.openFiles());
            hooks.beforeDump(42);

            List<FsChunk> chunks = metadata.chunks("/w");
            assertEquals(1, chunks.size());
            assertEquals("written before the dump".length(), chunks.get(0).getLength());
        } finally {
            p.destroyForcibly().waitFor();
        }
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
