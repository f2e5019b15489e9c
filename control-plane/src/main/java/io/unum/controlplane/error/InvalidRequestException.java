package io.unum.controlplane.error;

import io.grpc.Status;

/** The request is malformed or names something that cannot work; the message says what to fix. */
public class InvalidRequestException extends UnumException {
    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String title() {
        return "Bad Request";
    }

    @Override
    public int httpStatus() {
        return 400;
    }

    @Override
    public Status.Code grpcCode() {
        return Status.Code.INVALID_ARGUMENT;
    }
}
