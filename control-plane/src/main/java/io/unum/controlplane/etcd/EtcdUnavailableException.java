package io.unum.controlplane.etcd;

/** etcd could not be reached or did not answer in time; the API answers 503. */
public class EtcdUnavailableException extends RuntimeException {
    public EtcdUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
