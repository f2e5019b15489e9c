package io.unum.controlplane.error;

import io.grpc.Status;

/** A capability rule forbids the change (e.g. raising a permitted bit without force). */
public class CapabilityDeniedException extends UnumException {
    public CapabilityDeniedException(String message) {
        super(message);
    }

    public CapabilityDeniedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String title() {
        return "Capability Denied";
    }

    @Override
    public int httpStatus() {
        return 403;
    }

    @Override
    public Status.Code grpcCode() {
        return Status.Code.PERMISSION_DENIED;
    }
}
