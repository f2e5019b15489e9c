package io.unum.agent.process;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.logging.Level;
import java.util.logging.Logger;

/** How the agent's services answer: one reply, refusals by their reason, unexpected failures as INTERNAL. */
public final class GrpcStatuses {

    private static final Logger LOG = Logger.getLogger(GrpcStatuses.class.getName());

    private GrpcStatuses() {
    }

    /** The work of a unary call: its reply, or a refusal. */
    @FunctionalInterface
    public interface Reply<T> {
        T get() throws SupervisionException;
    }

    /**
     * Answers a unary call with what reply gives. A refusal answers with its status: a
     * SupervisionException by its reason, an IllegalArgumentException as INVALID_ARGUMENT, a
     * StatusRuntimeException as it is; anything else is a bug or an environment failure.
     */
    public static <T> void answer(String call, StreamObserver<T> out, Reply<T> reply) {
        T response;
        try {
            response = reply.get();
        } catch (SupervisionException e) {
            out.onError(of(e));
            return;
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (RuntimeException e) {
            out.onError(internal(call, e));
            return;
        }
        out.onNext(response);
        out.onCompleted();
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
