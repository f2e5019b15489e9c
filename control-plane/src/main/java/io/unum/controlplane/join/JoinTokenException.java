package io.unum.controlplane.join;

/** A join token that does not let the caller join: unknown, expired or deleted. Answered UNAUTHENTICATED. */
public final class JoinTokenException extends RuntimeException {
    public JoinTokenException(String message) {
        super(message);
    }
}
