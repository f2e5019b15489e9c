package io.unum.controlplane.error;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.controlplane.etcd.EtcdConflictException;
import io.unum.controlplane.etcd.EtcdUnavailableException;
import org.jboss.logging.Logger;

/** Turns the same exceptions {@link ProblemMapper} handles into gRPC statuses. */
public final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    /** Answers a unary call with call's value, or with the status its exception maps to. */
    public static <T> void unary(io.grpc.stub.StreamObserver<T> response, java.util.function.Supplier<T> call) {
        T value;
        try {
            value = call.get();
        } catch (RuntimeException e) {
            response.onError(toStatus(e));
            return;
        }
        response.onNext(value);
        response.onCompleted();
    }

    public static StatusRuntimeException toStatus(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        if (e instanceof UnumException u) {
            return Status.fromCode(u.kind().grpcCode()).withDescription(u.getMessage()).asRuntimeException();
        }
        if (e instanceof EtcdConflictException) {
            return Status.ABORTED.withDescription(e.getMessage()).asRuntimeException();
        }
        if (e instanceof EtcdUnavailableException) {
            return Status.UNAVAILABLE.withDescription("the cluster store (etcd) is unavailable; retry shortly")
                    .asRuntimeException();
        }
        LOG.error("unexpected failure", e);
        return Status.INTERNAL.withDescription("the control plane failed to handle the request").asRuntimeException();
    }
}
