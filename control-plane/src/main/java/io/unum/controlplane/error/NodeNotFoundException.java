package io.unum.controlplane.error;

import io.grpc.Status;

/** No node has the name. */
public class NodeNotFoundException extends UnumException {
    public NodeNotFoundException(String message) {
        super(message);
    }

    public NodeNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String title() {
        return "Node Not Found";
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
