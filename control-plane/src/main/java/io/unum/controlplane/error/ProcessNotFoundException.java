package io.unum.controlplane.error;

import io.grpc.Status;

/** No process record has the gpid. */
public class ProcessNotFoundException extends UnumException {
    public ProcessNotFoundException(String message) {
        super(message);
    }

    public ProcessNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String title() {
        return "Process Not Found";
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
