package io.unum.controlplane.node;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import io.quarkus.grpc.GrpcService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.unum.controlplane.auth.ClusterTlsConfig;
import io.unum.controlplane.fs.FsMetadataGrpcService;
import io.unum.controlplane.scheduler.NodeProfileGrpcService;
import io.unum.controlplane.shm.ShmRegistryGrpcService;
import io.unum.pki.Pem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The agent port ({@code unum.tls.agent-port}, default 9091): the agent registry, the node
 * profiles, shared memory's registry and the file system's metadata, served over TLS with the
 * control-plane certificate, asking every caller for a certificate of the cluster CA. A caller without one may call {@code Enroll} (with a join token)
 * and nothing else; a node agent's certificate is what authenticates every other call. The public
 * gRPC port stays plain text for bearer-token clients and refuses these services.
 */
@ApplicationScoped
public class AgentApiServer {
    private static final Logger LOG = Logger.getLogger(AgentApiServer.class);

    private final ClusterTlsConfig tls;
    private final AgentRegistryGrpcService registry;
    private final NodeProfileGrpcService profiles;
    private final ShmRegistryGrpcService shm;
    private final FsMetadataGrpcService fs;
    private final CertificateRevocations revocations;
    private final String defaultHost;
    private volatile Server server;

    public AgentApiServer(ClusterTlsConfig tls, @GrpcService AgentRegistryGrpcService registry,
            @GrpcService NodeProfileGrpcService profiles, @GrpcService ShmRegistryGrpcService shm,
            @GrpcService FsMetadataGrpcService fs,
            CertificateRevocations revocations,
            @ConfigProperty(name = "quarkus.grpc.server.host", defaultValue = "127.0.0.1") String defaultHost) {
        this.tls = tls;
        this.registry = registry;
        this.profiles = profiles;
        this.shm = shm;
        this.fs = fs;
        this.revocations = revocations;
        this.defaultHost = defaultHost;
    }

    void start(@Observes StartupEvent event) {
        if (tls.caCert().isEmpty() || tls.cert().isEmpty() || tls.key().isEmpty()) {
            LOG.warn("no cluster CA and control-plane certificate (unum.tls.ca-cert, unum.tls.cert, unum.tls.key): "
                    + "the agent port is not served and no agent can join");
            return;
        }
        String host = tls.agentHost().orElse(defaultHost);
        try {
            TlsServerCredentials.Builder credentials = TlsServerCredentials.newBuilder()
                    .keyManager(chainWithCa(), new ByteArrayInputStream(Files.readAllBytes(Path.of(tls.key().get()))))
                    .trustManager(new File(tls.caCert().get()))
                    // OPTIONAL, not REQUIRE: a joining agent has no certificate yet (Enroll); the interceptor
                    // refuses every other call without one.
                    .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
            AgentPortInterceptor auth = new AgentPortInterceptor(revocations);
            server = NettyServerBuilder.forAddress(new InetSocketAddress(host, tls.agentPort()), credentials.build())
                    .addService(ServerInterceptors.intercept(registry, auth))
                    .addService(ServerInterceptors.intercept(profiles, auth))
                    .addService(ServerInterceptors.intercept(shm, auth))
                    .addService(ServerInterceptors.intercept(fs, auth))
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the agent port " + host + ":" + tls.agentPort(), e);
        }
        LOG.infof("agent port %s:%d (TLS; Enroll with a join token, everything else with an agent's certificate)",
                host, server.getPort());
    }

    /**
     * The chain in {@code unum.tls.cert} followed by the cluster CA's certificate, unless the chain
     * holds it already: an agent joining with only the CA's hash ({@code --ca-cert-hash}) must find
     * the CA in the chain it is shown, and operators' files usually hold the leaf alone.
     */
    private InputStream chainWithCa() throws IOException {
        String chain = Files.readString(Path.of(tls.cert().get()), StandardCharsets.US_ASCII);
        X509Certificate ca = Pem.readCertificate(Path.of(tls.caCert().get()));
        try {
            boolean hasCa = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(chain.getBytes(StandardCharsets.US_ASCII)))
                    .contains(ca);
            if (!hasCa) {
                chain = chain.strip() + "\n" + Pem.certificate(ca);
            }
        } catch (CertificateException e) {
            throw new IOException("unum.tls.cert " + tls.cert().get() + " holds no readable certificate: " + e.getMessage(), e);
        }
        return new ByteArrayInputStream(chain.getBytes(StandardCharsets.US_ASCII));
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        return server == null ? -1 : server.getPort();
    }

    void stop(@Observes ShutdownEvent event) {
        Server s = server;
        if (s != null) {
            s.shutdown();
            try {
                if (!s.awaitTermination(2, TimeUnit.SECONDS)) {
                    s.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                s.shutdownNow();
            }
        }
    }
}
