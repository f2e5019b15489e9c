package io.unum.controlplane.etcd;

/**
 * A compare-and-set kept losing to other writers for {@link EtcdTable#MAX_ATTEMPTS} attempts.
 * The API answers 409: the caller may retry, nothing was written.
 */
public class EtcdConflictException extends RuntimeException {
    public EtcdConflictException(String message) {
        super(message);
    }
}
