package io.unum.controlplane.error;

import io.grpc.Status;

/**
 * A refusal the user can act on. Each subclass names what happened; {@link ProblemMapper}
 * and {@link GrpcErrors} turn it into an HTTP problem and a gRPC status from one table.
 */
public abstract class UnumException extends RuntimeException {
    protected UnumException(String message) {
        super(message);
    }

    protected UnumException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Short, stable title of the problem type. */
    public abstract String title();

    /** HTTP status. */
    public abstract int httpStatus();

    /** Matching gRPC status code. */
    public abstract Status.Code grpcCode();
}
