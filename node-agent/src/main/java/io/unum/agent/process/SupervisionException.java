package io.unum.agent.process;

/**
 * A request the supervisor refused. The reason maps one to one onto a gRPC status code, so
 * the supervision layer stays free of gRPC while the service can answer precisely.
 */
public final class SupervisionException extends Exception {

    public enum Reason { INVALID_ARGUMENT, ALREADY_EXISTS, NOT_FOUND, FAILED_PRECONDITION }

    private final Reason reason;

    public SupervisionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    static SupervisionException invalid(String message) {
        return new SupervisionException(Reason.INVALID_ARGUMENT, message);
    }

    static SupervisionException notFound(int gpid) {
        return notFound("no process with gpid " + gpid + " on this node");
    }

    public static SupervisionException notFound(String message) {
        return new SupervisionException(Reason.NOT_FOUND, message);
    }

    public static SupervisionException precondition(String message) {
        return new SupervisionException(Reason.FAILED_PRECONDITION, message);
    }
}
