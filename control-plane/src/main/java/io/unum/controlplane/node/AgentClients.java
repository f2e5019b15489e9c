package io.unum.controlplane.node;

import io.grpc.CallCredentials;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.unum.api.grpc.ImageAgentServiceGrpc;
import io.unum.api.grpc.NodeAgentServiceGrpc;
import io.unum.controlplane.auth.TokenAuthenticator;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** gRPC channels to node agents, one per agent address, each call carrying the join token. */
@ApplicationScoped
public class AgentClients {
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private static final long CONNECT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(3);

    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final CallCredentials credentials;
    private final NodeConfig config;

    public AgentClients(TokenAuthenticator tokens, NodeConfig config) {
        this.config = config;
        String header = "Bearer " + tokens.joinToken();
        this.credentials = new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata metadata = new Metadata();
                metadata.put(AUTHORIZATION, header);
                applier.apply(metadata);
            }
        };
    }

    /**
     * A blocking stub with the configured deadline. Its calls wait for the channel to connect
     * within that deadline instead of failing at once: an agent that has just restarted at the same
     * address would otherwise answer its first calls with "io exception" while its node is READY.
     */
    public NodeAgentServiceGrpc.NodeAgentServiceBlockingStub blocking(String address) {
        return NodeAgentServiceGrpc.newBlockingStub(channel(address))
                .withCallCredentials(credentials)
                .withWaitForReady()
                .withDeadlineAfter(config.agentCallTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** An async stub without deadline, for streams that may stay open. */
    public NodeAgentServiceGrpc.NodeAgentServiceStub async(String address) {
        return NodeAgentServiceGrpc.newStub(channel(address)).withCallCredentials(credentials);
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
                .withCallCredentials(credentials)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
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
        ManagedChannel channel = channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a).usePlaintext().build());
        if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            // The agent was away: try it now rather than after the channel's back-off (up to 2 min).
            channel.resetConnectBackoff();
        }
        return channel;
    }

    @PreDestroy
    void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
