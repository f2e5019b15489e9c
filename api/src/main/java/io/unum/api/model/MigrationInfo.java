package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One migration: the record in etcd ({@code /unum/migrations/<id>}) and its REST representation.
 *
 * @param mode stop-and-copy, or post-copy (the process resumes on the target before its memory arrived)
 * @param imageBytes size of the process image, known once dumped (post-copy: without the memory pages)
 * @param bytesTransferred how much of the image reached the target so far
 * @param freezeMillis how long the process ran nowhere: from the start of the dump to the end of the restore
 * @param dumpMillis how long CRIU took to freeze and dump it
 * @param restoreMillis how long the target took to verify and restore it
 * @param totalMillis from the request to DONE / ROLLED_BACK / FAILED
 * @param driver the control-plane replica driving it; the leader takes it over as soon as that
 *     replica's presence key in etcd is gone
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MigrationInfo(
        @Schema(required = true) String id,
        @Schema(required = true) int gpid,
        @Schema(required = true) String source,
        @Schema(required = true) String target,
        MigrationMode mode,
        @Schema(required = true) MigrationState state,
        String reason,
        Long imageBytes,
        Long bytesTransferred,
        Long freezeMillis,
        Long dumpMillis,
        Long restoreMillis,
        Long totalMillis,
        Instant createdAt,
        Instant updatedAt,
        String driver) {

    public MigrationInfo to(MigrationState next, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, next, reason, imageBytes, bytesTransferred, freezeMillis,
                dumpMillis, restoreMillis, totalMillis, createdAt, at, driver);
    }

    public MigrationInfo dumped(long bytes, long dumpMs, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, MigrationState.TRANSFERRING, reason, bytes, 0L, freezeMillis,
                dumpMs, restoreMillis, totalMillis, createdAt, at, driver);
    }

    public MigrationInfo transferred(long bytes, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, state, reason, imageBytes, bytes, freezeMillis, dumpMillis,
                restoreMillis, totalMillis, createdAt, at, driver);
    }

    /** Taken over by another replica (the leader's recovery). */
    public MigrationInfo drivenBy(String replica, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, state, reason, imageBytes, bytesTransferred, freezeMillis,
                dumpMillis, restoreMillis, totalMillis, createdAt, at, replica);
    }

    public MigrationInfo finished(MigrationState end, String why, Long freezeMs, Long restoreMs, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, end, why, imageBytes, bytesTransferred, freezeMs, dumpMillis,
                restoreMs, at.toEpochMilli() - createdAt.toEpochMilli(), createdAt, at, driver);
    }
}
