package io.unum.controlplane.migration;

import io.grpc.Status;
import io.unum.controlplane.error.UnumException;

/** No migration has that id. */
public class MigrationNotFoundException extends UnumException {
    public MigrationNotFoundException(String id) {
        super("no migration has id '" + id + "'; 'unum migrations' lists the recent ones");
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
