package io.unum.controlplane.fs;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.node.NodeStore;
import io.unum.testing.ClusterPki;
import io.unum.testing.EtcdServer;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * /api/v1/fs on a control plane booted against a real etcd, with a fake agent's FsBlockService
 * for the bytes: what each endpoint answers, and its refusals as problem+json.
 */
@QuarkusTest
@WithTestResource(FsResourceTest.Cluster.class)
class FsResourceTest {
    static final String ADMIN = "fs-test-admin-token";
    static final String VIEWER = "fs-test-viewer-token";
    static FakeBlockAgent agent;

    @Inject
    NodeStore nodes;

    @BeforeEach
    void agentIsReady() {
        nodes.register(new NodeInfo("node-1", agent.address(), NodeState.READY, 2, 1L << 30, null, Instant.now(), Instant.now()));
    }

    private static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    @Test
    void directoriesAreMadeOnceAndAFileInTheWayIsAConflict() {
        as(ADMIN).contentType("application/json").body("{\"mode\": \"0750\"}").put("/api/v1/fs/directories/made")
                .then().statusCode(201).body("mode", equalTo("0750")).body("type", equalTo("DIRECTORY"));
        as(ADMIN).put("/api/v1/fs/directories/made").then().statusCode(200);
        as(ADMIN).contentType("application/json").body("{\"parents\": true}").put("/api/v1/fs/directories/made/a/b/c")
                .then().statusCode(201).body("path", equalTo("/made/a/b/c"));
        as(ADMIN).contentType("application/json").body("{\"mode\": \"0750\", \"colour\": \"red\"}")
                .put("/api/v1/fs/directories/other").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("colour"));
        as(ADMIN).contentType("application/octet-stream").body(new byte[] {1, 2, 3}).put("/api/v1/fs/files/made/file")
                .then().statusCode(201);
        as(ADMIN).put("/api/v1/fs/directories/made/file").then().statusCode(409).contentType("application/problem+json");
        as(ADMIN).get("/api/v1/fs/list/made/file").then().statusCode(409).body("detail", containsString("not a directory"));
        as(VIEWER).get("/api/v1/fs/list/made").then().statusCode(200).body("entries.name", org.hamcrest.Matchers.hasItems("a", "file"));
    }

    @Test
    void unumsOwnDirectoryIsClosedToTheFileApi() {
        for (String path : new String[] {"stat/.unum", "list/.unum/checkpoints", "files/.unum/checkpoints/c-1.zip"}) {
            as(ADMIN).get("/api/v1/fs/" + path).then().statusCode(403).contentType("application/problem+json")
                    .body("detail", containsString("unum checkpoint"));
        }
        as(ADMIN).delete("/api/v1/fs/entries/.unum?recursive=true").then().statusCode(403);
        as(ADMIN).contentType("application/octet-stream").body(new byte[] {1}).put("/api/v1/fs/files/.unum/x?parents=true")
                .then().statusCode(403);
        as(ADMIN).contentType("application/json").body("{}").put("/api/v1/fs/directories/.unum/x").then().statusCode(403);
    }

    @Test
    void aLargeUploadStreamsToAnAgentAndReadsBack() throws Exception {
        int size = 12 * 1024 * 1024 + 5; // past quarkus.http.limits.max-body-size
        byte[] bytes = FakeBlockAgent.pattern(0, size);
        as(ADMIN).contentType("application/octet-stream").body(bytes).put("/api/v1/fs/files/up/big.bin?parents=true&mode=0600")
                .then().statusCode(201).header("Location", "/api/v1/fs/stat/up/big.bin").body("sizeBytes", equalTo(size));
        assertEquals(size, agent.received.get());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), agent.receivedSha256);
        as(ADMIN).contentType("application/octet-stream").body(bytes).put("/api/v1/fs/files/up/big.bin").then().statusCode(200);
        as(ADMIN).contentType("application/octet-stream").body(bytes).put("/api/v1/fs/files/up/big.bin?overwrite=false")
                .then().statusCode(409).contentType("application/problem+json");
        as(ADMIN).contentType("application/octet-stream").body(bytes).put("/api/v1/fs/files/nowhere/x.bin")
                .then().statusCode(409).body("detail", containsString("does not exist"));
        byte[] read = as(VIEWER).get("/api/v1/fs/files/up/big.bin").then().statusCode(200)
                .header("Content-Length", String.valueOf(size)).extract().asByteArray();
        assertArrayEquals(bytes, read);
    }

    @Inject
    @io.quarkus.grpc.GrpcService
    FsGrpcService grpc;

    /** The gRPC face's relays, served here without the token check (AuthTest covers that on a real cluster). */
    @Test
    void grpcWriteAndReadAreRelayedThroughAnAgent() throws Exception {
        io.grpc.Server server = io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
                .addService(grpc).build().start();
        io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forTarget("127.0.0.1:" + server.getPort())
                .usePlaintext().build();
        try {
            int size = 5 * 1024 * 1024 + 3;
            byte[] bytes = FakeBlockAgent.pattern(0, size);
            java.util.concurrent.CompletableFuture<io.unum.api.grpc.WriteFileResponse> answer = new java.util.concurrent.CompletableFuture<>();
            io.grpc.stub.StreamObserver<io.unum.api.grpc.WriteFileRequest> upload = io.unum.api.grpc.FsServiceGrpc.newStub(channel)
                    .writeFile(new io.grpc.stub.StreamObserver<>() {
                        @Override
                        public void onNext(io.unum.api.grpc.WriteFileResponse value) {
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
            upload.onNext(io.unum.api.grpc.WriteFileRequest.newBuilder().setHeader(io.unum.api.grpc.WriteFileHeader.newBuilder()
                    .setPath("/grpc/a.bin").setMode(0644).setMakeParents(true)).build());
            for (int at = 0; at < size; at += 64 * 1024) {
                upload.onNext(io.unum.api.grpc.WriteFileRequest.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(bytes, at,
                        Math.min(64 * 1024, size - at))).build());
            }
            upload.onCompleted();
            assertEquals(size, answer.get(60, java.util.concurrent.TimeUnit.SECONDS).getEntry().getSizeBytes());
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), agent.receivedSha256);
            java.io.ByteArrayOutputStream read = new java.io.ByteArrayOutputStream();
            io.unum.api.grpc.FsServiceGrpc.newBlockingStub(channel)
                    .readFile(io.unum.api.grpc.ReadFileRequest.newBuilder().setPath("/grpc/a.bin").build())
                    .forEachRemaining(part -> read.writeBytes(part.getData().toByteArray()));
            assertArrayEquals(bytes, read.toByteArray());
            io.grpc.StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                    () -> io.unum.api.grpc.FsServiceGrpc.newBlockingStub(channel).statPath(
                            io.unum.api.grpc.StatPathRequest.newBuilder().setPath("/a/../b").build()));
            assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
    }

    @Inject
    FsTree tree;
    @Inject
    FsBlocks blocks;
    @Inject
    FsRepair repair;

    /** A chunk below its goal is copied to a READY node that lacks it, from its healthy replica, and that node is added. */
    @Test
    void theRepairCopiesAChunkBelowItsGoalToAReadyNodeThatLacksIt() throws Exception {
        nodes.register(new NodeInfo("node-2", agent.address(), NodeState.READY, 2, 1L << 30, null, Instant.now(), Instant.now()));
        nodes.register(new NodeInfo("node-3", "127.0.0.1:1", NodeState.DOWN, 2, 1L << 30, null, Instant.now(), Instant.now()));
        try {
            long ino = tree.create(io.unum.api.fs.FsPath.parse("/repair-me"), io.unum.api.model.FsEntryType.FILE, 0644, 0, 0, null, 2)
                    .inode().ino();
            String block = FsKeys.newBlockId(ino, 0);
            blocks.commit(ino, java.util.List.of(new FsBlocks.NewChunk(0, block, 100, 7, java.util.List.of("node-1", "node-3"))), 100, 0);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!tree.chunks(ino).get(0L).replicas().contains("node-2")) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not repaired: " + tree.chunks(ino));
                }
                repair.scan();
                Thread.sleep(100);
            }
            io.unum.api.grpc.CopyBlockRequest copy = agent.copies.stream()
                    .filter(c -> c.getBlock().getBlockId().equals(block)).findFirst().orElseThrow();
            assertEquals(java.util.List.of(agent.address()), copy.getSourcesList(), "from the healthy replica only");
            assertEquals(100, copy.getBlock().getLength());
            repair.scan();
            assertEquals(java.util.List.of("node-1", "node-2"), tree.chunks(ino).get(0L).replicas(),
                    "at its goal on READY nodes, the replica on the DOWN node is dropped");
        } finally {
            nodes.delete("node-2");
            nodes.delete("node-3");
        }
    }

    @Test
    void badPathsMissingEntriesAndNonEmptyDirectoriesAreProblems() {
        as(VIEWER).get("/api/v1/fs/stat/no/such/file").then().statusCode(404).contentType("application/problem+json");
        as(VIEWER).urlEncodingEnabled(false).get("/api/v1/fs/stat/a/..%2Fb").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("'..' is not allowed"));
        as(VIEWER).get("/api/v1/fs/stat/" + "n".repeat(256)).then().statusCode(400).body("detail", containsString("255 bytes"));
        as(VIEWER).get("/api/v1/fs/stat/").then().statusCode(200).body("type", equalTo("DIRECTORY")).body("path", equalTo("/"));
        as(ADMIN).contentType("application/json").body("{\"parents\": true}").put("/api/v1/fs/directories/full/sub")
                .then().statusCode(201);
        as(ADMIN).delete("/api/v1/fs/entries/full").then().statusCode(409).body("detail", containsString("not empty"));
        as(ADMIN).delete("/api/v1/fs/entries/full?recursive=true").then().statusCode(204);
        as(VIEWER).get("/api/v1/fs/stat/full").then().statusCode(404);
        as(ADMIN).contentType("application/json").body("{\"replicas\": 10}").put("/api/v1/fs/replicas/")
                .then().statusCode(400).contentType("application/problem+json");
        as(ADMIN).contentType("application/json").body("{\"replicas\": 3}").put("/api/v1/fs/replicas/")
                .then().statusCode(200).body("replicas", equalTo(3));
        as(ADMIN).contentType("application/json").body("{\"replicas\": 2}").put("/api/v1/fs/replicas/").then().statusCode(200);
        as(VIEWER).get("/api/v1/fs/usage").then().statusCode(200).body("nodes[0].node", equalTo("node-1"))
                .body("repair.defaultReplicas", equalTo(2));
    }

    @Test
    void viewersReadAndOnlyAdminsChange() {
        as(VIEWER).contentType("application/json").body("{}").put("/api/v1/fs/directories/v").then().statusCode(403)
                .contentType("application/problem+json");
        as(VIEWER).delete("/api/v1/fs/entries/v").then().statusCode(403);
        as(VIEWER).contentType("application/json").body("{\"replicas\": 1}").put("/api/v1/fs/replicas/").then().statusCode(403);
        as(VIEWER).contentType("application/octet-stream").body(new byte[] {1}).put("/api/v1/fs/files/v.bin").then().statusCode(403)
                .contentType("application/problem+json");
        given().contentType("application/octet-stream").body(new byte[] {1}).put("/api/v1/fs/files/v.bin").then().statusCode(401);
        given().get("/api/v1/fs/usage").then().statusCode(401);
        as(VIEWER).get("/api/v1/fs/stat/v.bin").then().statusCode(404);
    }

    /** etcd, the cluster CA and the fake agent. */
    public static final class Cluster implements QuarkusTestResourceLifecycleManager {
        private EtcdServer etcd;
        private Path dir;

        @Override
        public Map<String, String> start() {
            try {
                dir = Files.createTempDirectory("fs-resource-test");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            ClusterPki pki = ClusterPki.createIn(dir.resolve("pki"));
            etcd = EtcdServer.start();
            agent = new FakeBlockAgent(pki, "node-1", () -> CDI.current().select(FsTree.class).get(),
                    () -> CDI.current().select(FsBlocks.class).get());
            return Map.ofEntries(Map.entry("unum.etcd.endpoints", etcd.endpoint()),
                    Map.entry("unum.auth.join-token", "fs-resource-test-join-token"),
                    Map.entry("unum.auth.admin-tokens", ADMIN), Map.entry("unum.auth.viewer-tokens", VIEWER),
                    Map.entry("unum.tls.ca-cert", pki.caCert().toString()), Map.entry("unum.tls.ca-key", pki.caKey().toString()),
                    Map.entry("unum.tls.cert", pki.controlPlaneCert().toString()),
                    Map.entry("unum.tls.key", pki.controlPlaneKey().toString()),
                    Map.entry("unum.tls.agent-port", "0"),
                    // The fake agent does not heartbeat.
                    Map.entry("unum.node.down-grace", "1h"),
                    Map.entry("quarkus.http.test-port", "0"), Map.entry("quarkus.grpc.server.test-port", "0"));
        }

        @Override
        public void stop() {
            if (agent != null) {
                agent.close();
            }
            if (etcd != null) {
                etcd.close();
            }
        }
    }
}
