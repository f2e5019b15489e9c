package io.unum.controlplane.error;

import io.grpc.Status;

/** A node agent could not be reached, or no node is READY; retrying later may work. */
public class NodeUnavailableException extends UnumException {
    public NodeUnavailableException(String message) {
        super(message);
    }

    public NodeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String title() {
        return "Node Unavailable";
    }

    @Override
    public int httpStatus() {
        return 503;
    }

    @Override
    public Status.Code grpcCode() {
        return Status.Code.UNAVAILABLE;
    }
}
