package io.unum.agent.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.unum.agent.Agent;
import io.unum.agent.AgentMain;
import io.unum.agent.auth.BearerCredentials;
import io.unum.agent.support.Await;
import io.unum.agent.support.FakeRegistry;
import io.unum.agent.support.Supervised;
import io.unum.api.grpc.DescribeProcessRequest;
import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.ImageAgentServiceGrpc;
import io.unum.api.grpc.NodeAgentServiceGrpc;
import io.unum.api.grpc.Presence;
import io.unum.api.grpc.ReleaseProcessRequest;
import io.unum.api.grpc.NodeAgentServiceGrpc.NodeAgentServiceBlockingStub;
import io.unum.api.grpc.OutputChunk;
import io.unum.api.grpc.OutputStream;
import io.unum.api.grpc.ReadOutputRequest;
import io.unum.api.grpc.ReadOutputResponse;
import io.unum.api.grpc.RemoveProcessRequest;
import io.unum.api.grpc.SignalLocalProcessRequest;
import io.unum.api.grpc.StartProcessRequest;
import io.unum.pki.CertificateAuthority;
import io.unum.pki.Identity;
import io.unum.pki.Pem;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real agent (gRPC server, supervisor, registration) in-process, on free ports. */
class NodeAgentGrpcTest {

    static final String TOKEN = "s3cret-join-token";

    @TempDir
    Path stateDir;

    FakeRegistry registry;
    Agent agent;
    ManagedChannel channel;

    @BeforeEach
    void startAgent() throws Exception {
        registry = new FakeRegistry();
        agent = Agent.start(AgentMain.parse("--name", "node-a", "--listen", "127.0.0.1:0",
                "--control-plane", registry.endpoint(), "--ca-cert-hash", registry.caCertHash(), "--state-dir", stateDir.toString(),
                "--join-token-file", io.unum.agent.TestJoinToken.file(TOKEN), "--cores", "3", "--memory", "123456789",
                "--fs-mount", "none"));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", agent.port(), registry.controlPlaneCredentials()).build();
    }

    @AfterEach
    void stop() throws Exception {
        Supervised.killAll(agent.supervisor());
        channel.shutdownNow();
        agent.close();
        registry.close();
    }

    private NodeAgentServiceBlockingStub authorized() {
        return NodeAgentServiceGrpc.newBlockingStub(channel);
    }

    /**
     * Changed on purpose (issue 10): the agent used to accept the join token; it now accepts only
     * certificates of the cluster CA, and from another agent only what agents send each other.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void refusesCallersWithoutACertificateOfTheClusterCaWhateverTokenTheyCarry() {
        StartProcessRequest asRoot = StartProcessRequest.newBuilder().setGpid(1).addArgv("true").build();
        ManagedChannel plain = ManagedChannelBuilder.forAddress("127.0.0.1", agent.port()).usePlaintext().build();
        ManagedChannel noCertificate = Grpc.newChannelBuilderForAddress("127.0.0.1", agent.port(),
                trustingOnly(registry.ca)).build();
        ManagedChannel otherCa = Grpc.newChannelBuilderForAddress("127.0.0.1", agent.port(),
                registry.credentials(CertificateAuthority.create("another-ca", Duration.ofDays(1)), Identity.controlPlane())).build();
        ManagedChannel anotherAgent = Grpc.newChannelBuilderForAddress("127.0.0.1", agent.port(),
                registry.credentials(registry.ca, Identity.agent("node-b"))).build();
        try {
            for (ManagedChannel refused : List.of(plain, noCertificate, otherCa)) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeAgentServiceGrpc
                        .newBlockingStub(refused).withCallCredentials(new BearerCredentials(TOKEN)).startProcess(asRoot));
                assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "no TLS session: " + e.getStatus());
            }
            StatusRuntimeException agentCall = assertThrows(StatusRuntimeException.class, () -> NodeAgentServiceGrpc
                    .newBlockingStub(anotherAgent).withCallCredentials(new BearerCredentials(TOKEN)).startProcess(asRoot));
            assertEquals(Status.Code.PERMISSION_DENIED, agentCall.getStatus().getCode());
            assertTrue(agent.supervisor().list().isEmpty(), "nothing was started");
        } finally {
            List.of(plain, noCertificate, otherCa, anotherAgent).forEach(ManagedChannel::shutdownNow);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void joinsOnceAndKeepsItsIdentityOwnerOnlyAcrossARestart() throws Exception {
        assertEquals(1, registry.enrollments.size());
        assertEquals("node-a", registry.enrollments.get(0).getNode());
        assertEquals("127.0.0.1", registry.enrollments.get(0).getHost());
        for (String f : List.of("agent.key", "agent.crt", "ca.crt")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir.resolve("tls").resolve(f))), f);
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir.resolve("tls"))));
        channel.shutdownNow();
        agent.close();
        agent = Agent.start(AgentMain.parse("--name", "node-a", "--listen", "127.0.0.1:0",
                "--control-plane", registry.endpoint(), "--ca-cert-hash", registry.caCertHash(), "--state-dir", stateDir.toString(),
                "--join-token-file", io.unum.agent.TestJoinToken.file(TOKEN), "--fs-mount", "none"));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", agent.port(), registry.controlPlaneCredentials()).build();
        assertEquals(1, registry.enrollments.size(), "the restarted agent kept its certificate");
        assertEquals(Presence.PRESENCE_ABSENT, ImageAgentServiceGrpc.newBlockingStub(channel)
                .describeProcess(DescribeProcessRequest.newBuilder().setGpid(5).build()).getPresence());
    }

    private static ChannelCredentials trustingOnly(CertificateAuthority ca) {
        try {
            return TlsChannelCredentials.newBuilder().trustManager(new java.io.ByteArrayInputStream(
                    Pem.certificate(ca.certificate()).getBytes(java.nio.charset.StandardCharsets.US_ASCII))).build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void registersWithTheControlPlaneByItsCertificateAlone() {
        Await.until("registration and a heartbeat", () -> !registry.registrations.isEmpty()
                && !registry.heartbeats.isEmpty());
        var reg = registry.registrations.get(0);
        assertEquals("node-a", reg.getNode());
        assertEquals("127.0.0.1:" + agent.port(), reg.getAddress());
        assertEquals(3, reg.getCores());
        assertEquals(123456789L, reg.getMemoryBytes());
        // Changed on purpose (issue 10): the join token used to go with every call; now it goes with Enroll only,
        // and every later call shows the agent's certificate and no token.
        assertTrue(registry.calls.contains("Enroll Bearer " + TOKEN + " none"), registry.calls.toString());
        assertTrue(registry.calls.stream().filter(c -> !c.startsWith("Enroll ")).allMatch(c -> c.endsWith(" null agent node-a")),
                registry.calls.toString());
        assertTrue(registry.calls.stream().anyMatch(c -> c.startsWith("Heartbeat ")), registry.calls.toString());
        assertTrue(registry.heartbeats.get(0).getLoad().getMemoryFreeBytes() > 0);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void describesWhatTheNodeKnowsOfAGpid() {
        ImageAgentServiceGrpc.ImageAgentServiceBlockingStub images = ImageAgentServiceGrpc.newBlockingStub(channel);
        assertEquals(Presence.PRESENCE_ABSENT,
                images.describeProcess(DescribeProcessRequest.newBuilder().setGpid(77).build()).getPresence());
        int pid = authorized().startProcess(StartProcessRequest.newBuilder().setGpid(77)
                .addAllArgv(List.of("sleep", "60")).setCwd("/").build()).getLocalPid();
        DescribeProcessResponse running = images.describeProcess(DescribeProcessRequest.newBuilder().setGpid(77).build());
        assertEquals(Presence.PRESENCE_RUNNING, running.getPresence());
        assertEquals(pid, running.getLocalPid());
        StatusRuntimeException notHeld = assertThrows(StatusRuntimeException.class, () -> images.releaseProcess(
                ReleaseProcessRequest.newBuilder().setGpid(77).setImageId("m-1").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, notHeld.getStatus().getCode(), "not restored from m-1");
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> images.releaseProcess(
                ReleaseProcessRequest.newBuilder().setGpid(78).setImageId("m-1").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());

        authorized().signalProcess(SignalLocalProcessRequest.newBuilder().setGpid(77).setSignal(9).build());
        Supervised.awaitEnded(agent.supervisor(), 77);
        DescribeProcessResponse ended = images.describeProcess(DescribeProcessRequest.newBuilder().setGpid(77).build());
        assertEquals(Presence.PRESENCE_ENDED, ended.getPresence());
        assertEquals(9, ended.getExitStatus().getSignal());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void startFollowOutputSignalRoundTrip() throws Exception {
        int pid = authorized().startProcess(StartProcessRequest.newBuilder().setGpid(42)
                .addAllArgv(List.of("/bin/sh", "-c", "echo started; echo warn >&2; exec sleep 60"))
                .setCwd("/").build()).getLocalPid();
        assertTrue(pid > 0);

        List<OutputChunk> chunks = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        NodeAgentServiceGrpc.newStub(channel)
                .readOutput(ReadOutputRequest.newBuilder().setGpid(42).setFollow(true).build(),
                        new StreamObserver<>() {
                            @Override
                            public void onNext(ReadOutputResponse r) {
                                chunks.add(r.getChunk());
                            }

                            @Override
                            public void onError(Throwable t) {
                                error.set(t);
                                done.countDown();
                            }

                            @Override
                            public void onCompleted() {
                                done.countDown();
                            }
                        });
        Await.until("both streams", () -> text(chunks, OutputStream.OUTPUT_STREAM_STDOUT).equals("started\n")
                && text(chunks, OutputStream.OUTPUT_STREAM_STDERR).equals("warn\n"));
        assertEquals(1, done.getCount(), "a follow stream stays open while the process runs");

        authorized().signalProcess(SignalLocalProcessRequest.newBuilder().setGpid(42).setSignal(15).build());
        assertTrue(done.await(10, TimeUnit.SECONDS), "the follow stream ends once the process ended");
        assertEquals(null, error.get());
        assertEquals(0, chunks.get(0).getOffset());

        Await.until("the exit report", () -> !registry.exits.isEmpty());
        assertEquals(42, registry.exits.get(0).getGpid());
        assertEquals(15, registry.exits.get(0).getExitStatus().getSignal());
        Await.until("the exit-reported marker", () -> Files.exists(stateDir.resolve("processes/42/exit-reported")));

        StatusRuntimeException ended = assertThrows(StatusRuntimeException.class, () -> authorized()
                .signalProcess(SignalLocalProcessRequest.newBuilder().setGpid(42).setSignal(15).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, ended.getStatus().getCode());

        // Non-follow read from an offset, then remove.
        Iterator<ReadOutputResponse> it = authorized().readOutput(ReadOutputRequest.newBuilder().setGpid(42)
                .setStdoutOffset(4).setStderrOffset(100).build());
        OutputChunk c = it.next().getChunk();
        assertEquals(4, c.getOffset());
        assertEquals("ted\n", c.getData().toString(StandardCharsets.UTF_8));
        assertTrue(!it.hasNext());
        authorized().removeProcess(RemoveProcessRequest.newBuilder().setGpid(42).build());
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> authorized()
                .readOutput(ReadOutputRequest.newBuilder().setGpid(42).build()).hasNext());
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void mapsSupervisionErrorsToStatusCodes() {
        StatusRuntimeException invalid = assertThrows(StatusRuntimeException.class, () -> authorized()
                .startProcess(StartProcessRequest.newBuilder().setGpid(7).addArgv("nosuch-xyz").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode());
        assertTrue(invalid.getStatus().getDescription().contains("not found on PATH"));

        authorized().startProcess(StartProcessRequest.newBuilder().setGpid(8).addArgv("true").build());
        StatusRuntimeException dup = assertThrows(StatusRuntimeException.class, () -> authorized()
                .startProcess(StartProcessRequest.newBuilder().setGpid(8).addArgv("true").build()));
        assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode());

        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> authorized()
                .signalProcess(SignalLocalProcessRequest.newBuilder().setGpid(9).setSignal(15).build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    }

    private static String text(List<OutputChunk> chunks, OutputStream stream) {
        StringBuilder sb = new StringBuilder();
        for (OutputChunk c : chunks) {
            if (c.getStream() == stream) {
                sb.append(c.getData().toString(StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }
}
