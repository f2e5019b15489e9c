package io.unum.controlplane.node;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.unum.api.grpc.ImageAgentServiceGrpc;
import io.unum.api.grpc.NodeAgentServiceGrpc;
import io.unum.controlplane.auth.ClusterTlsConfig;
import io.unum.controlplane.error.UnumException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.File;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * gRPC channels to node agents, one per agent address, over mutual TLS: the control plane shows
 * its certificate and checks the agent's against the cluster CA (and the address against the
 * host the certificate names).
 */
@ApplicationScoped
public class AgentClients {
    private static final long CONNECT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(3);

    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final NodeConfig config;
    private final ClusterTlsConfig tls;
    private volatile SslContext sslContext;

    public AgentClients(NodeConfig config, ClusterTlsConfig tls) {
        this.config = config;
        this.tls = tls;
    }

    /**
     * A blocking stub with the configured deadline. Its calls wait for the channel to connect
     * within that deadline instead of failing at once: an agent that has just restarted at the same
     * address would otherwise answer its first calls with "io exception" while its node is READY.
     */
    public NodeAgentServiceGrpc.NodeAgentServiceBlockingStub blocking(String address) {
        return NodeAgentServiceGrpc.newBlockingStub(channel(address))
                .withWaitForReady()
                .withDeadlineAfter(config.agentCallTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** An async stub without deadline, for streams that may stay open. */
    public NodeAgentServiceGrpc.NodeAgentServiceStub async(String address) {
        return NodeAgentServiceGrpc.newStub(channel(address));
    }

    /**
     * A blocking stub for image calls (dump, transfer, restore), which take as long as the image is
     * big. The channel is given a few seconds to connect first: without it the first calls to an
     * agent that has just restarted at the same address failed at once with "io exception" (the
     * channel still in its back-off after the old agent's death), and every such failure costs a
     * rollback or a round of questions. Not wait-for-ready: a call to a dead agent must fail
     * within seconds, not at its long deadline.
     */
    public ImageAgentServiceGrpc.ImageAgentServiceBlockingStub images(String address, java.time.Duration deadline) {
        ManagedChannel channel = channel(address);
        awaitConnected(channel, CONNECT_WAIT_NANOS);
        return ImageAgentServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A blocking stub for shared memory questions to an agent; short, since someone waits on each. */
    public io.unum.api.grpc.ShmPageServiceGrpc.ShmPageServiceBlockingStub shmPages(String address) {
        return io.unum.api.grpc.ShmPageServiceGrpc.newBlockingStub(channel(address)).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    /**
     * A stub for an agent's block service without deadline: a file read or written through it takes
     * as long as the file is big; callers cancel it when their own client goes away.
     */
    public io.unum.api.grpc.FsBlockServiceGrpc.FsBlockServiceStub fsBlocks(String address) {
        ManagedChannel channel = channel(address);
        awaitConnected(channel, CONNECT_WAIT_NANOS);
        return io.unum.api.grpc.FsBlockServiceGrpc.newStub(channel);
    }

    /** A blocking stub for an agent's block service without deadline; callers set theirs. */
    public io.unum.api.grpc.FsBlockServiceGrpc.FsBlockServiceBlockingStub fsBlockCalls(String address) {
        ManagedChannel channel = channel(address);
        awaitConnected(channel, CONNECT_WAIT_NANOS);
        return io.unum.api.grpc.FsBlockServiceGrpc.newBlockingStub(channel);
    }

    /** Waits (blocking, at most timeout) for the channel to the agent at address to connect. */
    public void awaitConnected(String address, java.time.Duration timeout) {
        awaitConnected(channel(address), timeout.toNanos());
    }

    private static void awaitConnected(ManagedChannel channel, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        ConnectivityState state = channel.getState(true);
        while (state != ConnectivityState.READY && state != ConnectivityState.SHUTDOWN) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            CountDownLatch changed = new CountDownLatch(1);
            channel.notifyWhenStateChanged(state, changed::countDown);
            try {
                changed.await(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            state = channel.getState(true);
        }
    }

    private ManagedChannel channel(String address) {
        ManagedChannel channel = channels.computeIfAbsent(address,
                a -> NettyChannelBuilder.forTarget(a).sslContext(sslContext()).build());
        if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            // The agent was away: try it now rather than after the channel's back-off (up to 2 min).
            channel.resetConnectBackoff();
        }
        return channel;
    }

    private SslContext sslContext() {
        SslContext context = sslContext;
        if (context == null) {
            if (tls.caCert().isEmpty() || tls.cert().isEmpty() || tls.key().isEmpty()) {
                throw UnumException.invalidState(
                        "this control plane has no TLS identity (unum.tls.ca-cert, unum.tls.cert, unum.tls.key): it cannot call agents");
            }
            try {
                context = GrpcSslContexts.forClient()
                        .keyManager(new File(tls.cert().get()), new File(tls.key().get()))
                        .trustManager(new File(tls.caCert().get()))
                        .build();
            } catch (SSLException | IllegalArgumentException e) {
                throw UnumException.invalidState("cannot load the control plane's TLS identity: " + e.getMessage(), e);
            }
            sslContext = context;
        }
        return context;
    }

    @PreDestroy
    void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
