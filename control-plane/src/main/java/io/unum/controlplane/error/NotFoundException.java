package io.unum.controlplane.error;

import io.grpc.Status;

/** The thing a request names (a migration, a checkpoint) does not exist; the message says how to find the real ones. */
public class NotFoundException extends UnumException {
    public NotFoundException(String message) {
        super(message);
    }

    @Override
    public String title() {
        return "Not Found";
    }

    @Override
    public int httpStatus() {
        return 404;
    }

    @Override
    public Status.Code grpcCode() {
        return Status.Code.NOT_FOUND;
    }
}
