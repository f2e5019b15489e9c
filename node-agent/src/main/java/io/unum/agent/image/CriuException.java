package io.unum.agent.image;

/** CRIU refused or failed; the message carries the errors from its log. */
public final class CriuException extends Exception {
    public CriuException(String message) {
        super(message);
    }
}
