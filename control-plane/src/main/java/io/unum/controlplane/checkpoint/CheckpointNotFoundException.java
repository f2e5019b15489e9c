package io.unum.controlplane.checkpoint;

import io.grpc.Status;
import io.unum.controlplane.error.UnumException;

/** No checkpoint has that id. */
public class CheckpointNotFoundException extends UnumException {
    public CheckpointNotFoundException(String id) {
        super("no checkpoint has id '" + id + "'; 'unum checkpoints' lists them");
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
