package io.unum.controlplane.error;

import io.grpc.Status;

/** The target exists but is not in a state that allows the operation (not running, node DOWN, placement forbidden). */
public class InvalidStateException extends UnumException {
    public InvalidStateException(String message) {
        super(message);
    }

    public InvalidStateException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String title() {
        return "Conflict";
    }

    @Override
    public int httpStatus() {
        return 409;
    }

    @Override
    public Status.Code grpcCode() {
        return Status.Code.FAILED_PRECONDITION;
    }
}
