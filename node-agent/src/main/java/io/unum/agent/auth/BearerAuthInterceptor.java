package io.unum.agent.auth;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.logging.Logger;

/** Refuses every call that does not carry "authorization: Bearer <join token>". */
public final class BearerAuthInterceptor implements ServerInterceptor {

    private static final Logger LOG = Logger.getLogger(BearerAuthInterceptor.class.getName());
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final byte[] expected;

    public BearerAuthInterceptor(String joinToken) {
        this.expected = ("Bearer " + joinToken).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String got = headers.get(AUTHORIZATION);
        // Constant-time comparison: response timing must not reveal how much of the token matched.
        if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.UTF_8))) {
            LOG.warning("refused " + call.getMethodDescriptor().getFullMethodName()
                    + (got == null ? ": no authorization header" : ": wrong token"));
            call.close(Status.UNAUTHENTICATED.withDescription("a valid join token is required"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }
}
