package io.unum.controlplane.error;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.controlplane.etcd.EtcdUnavailableException;
import org.jboss.logging.Logger;

/** Turns the same exceptions {@link ProblemMapper} handles into gRPC statuses. */
public final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    public static StatusRuntimeException toStatus(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        if (e instanceof UnumException u) {
            return Status.fromCode(u.grpcCode()).withDescription(u.getMessage()).asRuntimeException();
        }
        if (e instanceof EtcdUnavailableException) {
            return Status.UNAVAILABLE.withDescription("the cluster store (etcd) is unavailable; retry shortly")
                    .asRuntimeException();
        }
        LOG.error("unexpected failure", e);
        return Status.INTERNAL.withDescription("the control plane failed to handle the request").asRuntimeException();
    }
}
