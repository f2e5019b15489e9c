package io.unum.agent.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.agent.process.SupervisionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** How the agent's services answer refusals and unexpected failures. */
public final class GrpcStatuses {

    private static final Logger LOG = Logger.getLogger(GrpcStatuses.class.getName());

    private GrpcStatuses() {
    }

    public static StatusRuntimeException of(SupervisionException e) {
        Status s = switch (e.reason()) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case NOT_FOUND -> Status.NOT_FOUND;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
        };
        return s.withDescription(e.getMessage()).asRuntimeException();
    }

    /** A bug or an environment failure: logged with its stack, answered INTERNAL. */
    public static StatusRuntimeException internal(String call, RuntimeException e) {
        LOG.log(Level.WARNING, call + " failed: " + e, e);
        return Status.INTERNAL.withDescription(call + " failed: " + e.getMessage()).withCause(e).asRuntimeException();
    }
}
