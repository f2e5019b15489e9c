package io.unum.agent.shm;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.unum.api.grpc.AcquirePageRequest;
import io.unum.api.grpc.AcquirePageResponse;
import io.unum.api.grpc.RevokePageRequest;
import io.unum.api.grpc.RevokePageResponse;
import io.unum.api.grpc.ShmPageServiceGrpc;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The other agents' page services, over mutual TLS: one channel per agent, kept. */
public final class ShmPeers implements AutoCloseable {
    /**
     * How long an agent may take to answer one page call before its node counts as gone. An
     * acquire waits for the home, which may itself wait for revokes.
     */
    static final long CALL_SECONDS = 10;
    static final long ACQUIRE_SECONDS = 3 * CALL_SECONDS + 5;

    private final ChannelCredentials credentials;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    public ShmPeers(ChannelCredentials credentials) {
        this.credentials = credentials;
    }

    private ShmPageServiceGrpc.ShmPageServiceBlockingStub stub(String address, long seconds) {
        ManagedChannel ch = channels.computeIfAbsent(address, a -> Grpc.newChannelBuilder(a, credentials).build());
        // Wait for the connection within the deadline: a channel's first call to an agent (or one
        // that has just restarted) otherwise fails at once with "io exception", and a fault that
        // fails counts as a lost page.
        return ShmPageServiceGrpc.newBlockingStub(ch).withWaitForReady().withDeadlineAfter(seconds, TimeUnit.SECONDS);
    }

    AcquirePageResponse acquire(String home, AcquirePageRequest req) {
        return stub(home, ACQUIRE_SECONDS).acquire(req);
    }

    RevokePageResponse revoke(String address, RevokePageRequest req) {
        return stub(address, CALL_SECONDS).revoke(req);
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
