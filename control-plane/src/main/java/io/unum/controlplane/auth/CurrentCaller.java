package io.unum.controlplane.auth;

import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

/** The caller of the request being served, whether it came through REST or gRPC. */
@ApplicationScoped
public class CurrentCaller {
    private final Instance<SecurityIdentity> identity;

    public CurrentCaller(Instance<SecurityIdentity> identity) {
        this.identity = identity;
    }

    /** How the audit log names the caller; "unknown" only outside a request (a controller's own action). */
    public String describe() {
        Caller grpc = GrpcAuthInterceptor.CALLER.get();
        if (grpc != null) {
            return grpc.describe();
        }
        try {
            Caller rest = identity.get().getAttribute(Caller.class.getName());
            return rest == null ? "unknown" : rest.describe();
        } catch (RuntimeException outsideARequest) {
            return "unknown";
        }
    }
}
