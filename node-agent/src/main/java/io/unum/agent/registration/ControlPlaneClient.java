package io.unum.agent.registration;

import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.api.grpc.AgentRegistryServiceGrpc;
import io.unum.api.grpc.AgentRegistryServiceGrpc.AgentRegistryServiceBlockingStub;
import io.grpc.stub.AbstractBlockingStub;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Calls AgentRegistryService on one of several control-plane endpoints (their agent ports, over
 * TLS). Any replica serves these calls, so when one is unreachable the call moves on to the next,
 * and sticks to the endpoint that last worked. A joined agent authenticates with its certificate
 * alone; only the client that joins carries the join token (as call credentials).
 */
public final class ControlPlaneClient implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ControlPlaneClient.class.getName());
    private static final long CALL_TIMEOUT_SECONDS = 5;

    private final List<String> endpoints;
    private final List<ManagedChannel> channels = new ArrayList<>();
    /** Null for a joined agent: its certificate (in the channel credentials) is all it shows. */
    private final CallCredentials callCredentials;
    private int current;

    /** endpoints are "host:port"; callCredentials may be null. */
    public ControlPlaneClient(List<String> endpoints, ChannelCredentials credentials, CallCredentials callCredentials) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one control-plane endpoint is required");
        }
        this.endpoints = List.copyOf(endpoints);
        this.callCredentials = callCredentials;
        for (String e : endpoints) {
            channels.add(Grpc.newChannelBuilder(e, credentials).build());
        }
    }

    /** Runs call on the current endpoint, failing over on UNAVAILABLE / DEADLINE_EXCEEDED. */
    public <T> T call(Function<AgentRegistryServiceBlockingStub, T> call) {
        return call(AgentRegistryServiceGrpc::newBlockingStub, call);
    }

    /**
     * {@link #call(Function)} again, every second, while no control plane answers: for what the
     * agent cannot start without (its certificate). Other failures are thrown.
     */
    public <T> T callUntilAnswered(Function<AgentRegistryServiceBlockingStub, T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call(call);
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
                    throw e;
                }
                if (attempt == 1 || attempt % 30 == 0) {
                    LOG.warning("no control plane answers (" + e.getStatus() + "); trying again every second");
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** The same for another agent-facing service, whose stubs {@code stubs} makes. */
    public <S extends AbstractBlockingStub<S>, T> T call(Function<Channel, S> stubs, Function<S, T> call) {
        StatusRuntimeException last = null;
        int start;
        synchronized (this) {
            start = current;
        }
        for (int i = 0; i < channels.size(); i++) {
            int idx = (start + i) % channels.size();
            S stub = stubs.apply(channels.get(idx)).withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (callCredentials != null) {
                stub = stub.withCallCredentials(callCredentials);
            }
            try {
                T result = call.apply(stub);
                synchronized (this) {
                    if (current != idx) {
                        LOG.info("control plane: now using " + endpoints.get(idx));
                    }
                    current = idx;
                }
                return result;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    @Override
    public void close() {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
    }
}
