package io.unum.agent.auth;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/** Adds "authorization: Bearer <join token>" to outgoing calls. */
public final class BearerCredentials extends CallCredentials {

    private final String header;

    public BearerCredentials(String joinToken) {
        this.header = "Bearer " + joinToken;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(BearerAuthInterceptor.AUTHORIZATION, header);
        applier.apply(m);
    }
}
