package io.unum.agent.support;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.TlsServerCredentials;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import io.unum.api.grpc.AgentRegistryServiceGrpc;
import io.unum.api.grpc.EnrollRequest;
import io.unum.api.grpc.EnrollResponse;
import io.unum.pki.CaCertHash;
import io.unum.pki.CertificateAuthority;
import io.unum.pki.Identity;
import io.unum.pki.Keys;
import io.unum.pki.Pem;
import io.unum.pki.SigningRequest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import io.unum.api.grpc.HeartbeatRequest;
import io.unum.api.grpc.HeartbeatResponse;
import io.unum.api.grpc.RegisterAgentRequest;
import io.unum.api.grpc.RegisterAgentResponse;
import io.unum.api.grpc.ReportProcessExitRequest;
import io.unum.api.grpc.ReportProcessExitResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hand-written stand-in for the control plane's AgentRegistryService, on a real port: it
 * records what agents send and answers as configured.
 */
public final class FakeRegistry extends AgentRegistryServiceGrpc.AgentRegistryServiceImplBase implements AutoCloseable {

    public final List<RegisterAgentRequest> registrations = new CopyOnWriteArrayList<>();
    public final List<HeartbeatRequest> heartbeats = new CopyOnWriteArrayList<>();
    public final List<ReportProcessExitRequest> exits = new CopyOnWriteArrayList<>();
    public final List<String> authorizations = new CopyOnWriteArrayList<>();
    public final List<EnrollRequest> enrollments = new CopyOnWriteArrayList<>();
    /** The cluster CA this registry signs agents' keys with. */
    public final CertificateAuthority ca = CertificateAuthority.create("fake-cluster-ca", Duration.ofDays(30));
    /** Answered once to the next registration. */
    public volatile List<Integer> unknownGpids = List.of();
    /** Answer known=false to the next heartbeat. */
    public final AtomicBoolean forgetNode = new AtomicBoolean();
    /** Fail this many ReportProcessExit calls with UNAVAILABLE first. */
    public final AtomicInteger failExits = new AtomicInteger();
    public volatile long intervalMillis = 100;

    /** Every call as "Method authorization peer", e.g. "Heartbeat null agent node-a". */
    public final List<String> calls = new CopyOnWriteArrayList<>();

    private final Server server;

    /** Serves TLS like the control plane's agent port: its certificate, a client certificate asked for but optional. */
    public FakeRegistry() throws IOException {
        this(List.of("127.0.0.1", "localhost"));
    }

    /** The same with a certificate naming only {@code hosts}. */
    public FakeRegistry(List<String> hosts) throws IOException {
        ServerInterceptor recordAuth = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                String auth = headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
                authorizations.add(String.valueOf(auth));
                calls.add(call.getMethodDescriptor().getBareMethodName() + " " + auth + " "
                        + peer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)));
                return next.startCall(call, headers);
            }
        };
        KeyPair pair = Keys.generate();
        // The chain ends with the CA, as the control plane's does, for agents that join with its hash.
        String chain = Pem.certificate(ca.issue(Identity.controlPlane(), pair.getPublic(), hosts, Duration.ofDays(1)))
                + Pem.certificate(ca.certificate());
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), TlsServerCredentials.newBuilder()
                        .keyManager(stream(chain), stream(Pem.privateKey(pair.getPrivate())))
                        .trustManager(stream(Pem.certificate(ca.certificate())))
                        .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
                        .build())
                .addService(ServerInterceptors.intercept(this, recordAuth))
                .build()
                .start();
    }

    private static String peer(SSLSession session) {
        try {
            return session == null ? "none" : Identity.of((X509Certificate) session.getPeerCertificates()[0])
                    .map(Identity::toString).orElse("unnamed");
        } catch (SSLPeerUnverifiedException e) {
            return "none";
        }
    }

    /** The client side of a joined agent {@code node}: its certificate of this registry's CA. */
    public ChannelCredentials agentCredentials(String node) {
        return credentials(ca, Identity.agent(node));
    }

    /** What an agent joining this registry gives as {@code --ca-cert-hash}. */
    public String caCertHash() {
        return CaCertHash.of(ca.certificate()).toString();
    }

    public int port() {
        return server.getPort();
    }

    public String endpoint() {
        return "127.0.0.1:" + port();
    }

    @Override
    public void enroll(EnrollRequest req, StreamObserver<EnrollResponse> out) {
        enrollments.add(req);
        out.onNext(EnrollResponse.newBuilder()
                .setCertificatePem(Pem.certificate(ca.issue(Identity.agent(req.getNode()),
                        SigningRequest.verifiedKey(req.getCsrPem()), List.of(req.getHost()), Duration.ofDays(30))))
                .setCaCertificatePem(Pem.certificate(ca.certificate()))
                .build());
        out.onCompleted();
    }

    /** Credentials of a client that {@code issuer} made {@code who}; trusting this registry's CA. */
    public ChannelCredentials credentials(CertificateAuthority issuer, Identity who) {
        KeyPair pair = Keys.generate();
        String cert = Pem.certificate(issuer.issue(who, pair.getPublic(), List.of(), Duration.ofDays(1)));
        try {
            return TlsChannelCredentials.newBuilder()
                    .keyManager(stream(cert), stream(Pem.privateKey(pair.getPrivate())))
                    .trustManager(stream(Pem.certificate(ca.certificate())))
                    .build();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What the control plane shows agents. */
    public ChannelCredentials controlPlaneCredentials() {
        return credentials(ca, Identity.controlPlane());
    }

    private static ByteArrayInputStream stream(String pem) {
        return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void registerAgent(RegisterAgentRequest req, StreamObserver<RegisterAgentResponse> out) {
        registrations.add(req);
        List<Integer> unknown = unknownGpids;
        unknownGpids = List.of();
        out.onNext(RegisterAgentResponse.newBuilder().setHeartbeatIntervalMillis(intervalMillis)
                .addAllUnknownGpids(unknown).build());
        out.onCompleted();
    }

    @Override
    public void heartbeat(HeartbeatRequest req, StreamObserver<HeartbeatResponse> out) {
        heartbeats.add(req);
        out.onNext(HeartbeatResponse.newBuilder().setKnown(!forgetNode.getAndSet(false))
                .setHeartbeatIntervalMillis(intervalMillis).build());
        out.onCompleted();
    }

    @Override
    public void reportProcessExit(ReportProcessExitRequest req, StreamObserver<ReportProcessExitResponse> out) {
        if (failExits.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            out.onError(Status.UNAVAILABLE.withDescription("not now").asRuntimeException());
            return;
        }
        exits.add(req);
        out.onNext(ReportProcessExitResponse.getDefaultInstance());
        out.onCompleted();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }
}
