package io.unum.controlplane.error;

import io.grpc.Status;

/**
 * A refusal the user can act on. Its {@link Kind} names what happened and carries the HTTP
 * problem and gRPC status that {@link ProblemMapper} and {@link GrpcErrors} answer with, so the
 * two faces of the API cannot disagree.
 */
public final class UnumException extends RuntimeException {
    /** What happened; the title is the stable problem type (its slug becomes the problem URN). */
    public enum Kind {
        /** The request is malformed or names something that cannot work; the message says what to fix. */
        INVALID_REQUEST("Bad Request", 400, Status.Code.INVALID_ARGUMENT),
        /** The target exists but is not in a state that allows the operation (not running, node DOWN, a race lost). */
        INVALID_STATE("Conflict", 409, Status.Code.FAILED_PRECONDITION),
        /** The thing a request names (a migration, a checkpoint) does not exist. */
        NOT_FOUND("Not Found", 404, Status.Code.NOT_FOUND),
        /** No node has the name. */
        NODE_NOT_FOUND("Node Not Found", 404, Status.Code.NOT_FOUND),
        /** No process record has the gpid. */
        PROCESS_NOT_FOUND("Process Not Found", 404, Status.Code.NOT_FOUND),
        /** A node agent could not be reached, or no node is READY; retrying later may work. */
        NODE_UNAVAILABLE("Node Unavailable", 503, Status.Code.UNAVAILABLE),
        /** A capability rule forbids the change (e.g. raising a permitted bit without force). */
        CAPABILITY_DENIED("Capability Denied", 403, Status.Code.PERMISSION_DENIED),
        /** What the request names is not open to callers at all (Unum's own data in the file system). */
        FORBIDDEN("Forbidden", 403, Status.Code.PERMISSION_DENIED);

        private final String title;
        private final int httpStatus;
        private final Status.Code grpcCode;

        Kind(String title, int httpStatus, Status.Code grpcCode) {
            this.title = title;
            this.httpStatus = httpStatus;
            this.grpcCode = grpcCode;
        }

        public String title() {
            return title;
        }

        public int httpStatus() {
            return httpStatus;
        }

        public Status.Code grpcCode() {
            return grpcCode;
        }
    }

    private final Kind kind;

    public UnumException(Kind kind, String message) {
        this(kind, message, null);
    }

    public UnumException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public static UnumException invalidRequest(String message) {
        return new UnumException(Kind.INVALID_REQUEST, message);
    }

    public static UnumException invalidState(String message) {
        return new UnumException(Kind.INVALID_STATE, message);
    }

    public static UnumException invalidState(String message, Throwable cause) {
        return new UnumException(Kind.INVALID_STATE, message, cause);
    }

    public static UnumException notFound(String message) {
        return new UnumException(Kind.NOT_FOUND, message);
    }

    public static UnumException nodeNotFound(String message) {
        return new UnumException(Kind.NODE_NOT_FOUND, message);
    }

    public static UnumException processNotFound(String message) {
        return new UnumException(Kind.PROCESS_NOT_FOUND, message);
    }

    public static UnumException nodeUnavailable(String message) {
        return new UnumException(Kind.NODE_UNAVAILABLE, message);
    }

    public static UnumException nodeUnavailable(String message, Throwable cause) {
        return new UnumException(Kind.NODE_UNAVAILABLE, message, cause);
    }

    public static UnumException capabilityDenied(String message) {
        return new UnumException(Kind.CAPABILITY_DENIED, message);
    }

    public static UnumException forbidden(String message) {
        return new UnumException(Kind.FORBIDDEN, message);
    }

    public Kind kind() {
        return kind;
    }
}
