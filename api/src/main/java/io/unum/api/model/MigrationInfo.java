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
 * @param freezeMillis how long the process ran nowhere: from CRIU's start on the source to the end of the restore
 * @param preFreezeMillis from the request to CRIU's start (checks, the record's writes, the source's preparation): the
 *     process still runs
 * @param dumpMillis how long CRIU took to freeze and dump it
 * @param transferMillis how long the image took to reach the target (post-copy: without the memory pages)
 * @param restoreMillis how long the target took to verify and restore it
 * @param postResumeMillis from the end of the restore to DONE (the commit, the release): the process runs already,
 *     although a stop-and-copy move's process stays stopped until the release
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
        Long preFreezeMillis,
        Long dumpMillis,
        Long transferMillis,
        Long restoreMillis,
        Long postResumeMillis,
        Long totalMillis,
        Instant createdAt,
        Instant updatedAt,
        String driver) {

    public MigrationInfo to(MigrationState next, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, next, reason, imageBytes, bytesTransferred, freezeMillis,
                preFreezeMillis, dumpMillis, transferMillis, restoreMillis, postResumeMillis, totalMillis, createdAt, at, driver);
    }

    /** Dumped: what CRIU wrote and how long it took; preFreezeMs is how long the process ran on before the dump began. */
    public MigrationInfo dumped(long bytes, long preFreezeMs, long dumpMs, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, MigrationState.TRANSFERRING, reason, bytes, 0L, freezeMillis,
                preFreezeMs, dumpMs, transferMillis, restoreMillis, postResumeMillis, totalMillis, createdAt, at, driver);
    }

    public MigrationInfo transferred(long bytes, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, state, reason, imageBytes, bytes, freezeMillis,
                preFreezeMillis, dumpMillis, transferMillis, restoreMillis, postResumeMillis, totalMillis, createdAt, at, driver);
    }

    /** The whole image is on the target, after transferMs; the restore comes next. */
    public MigrationInfo transferComplete(long transferMs, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, MigrationState.RESTORING, reason, imageBytes, imageBytes,
                freezeMillis, preFreezeMillis, dumpMillis, transferMs, restoreMillis, postResumeMillis, totalMillis, createdAt,
                at, driver);
    }

    /** Taken over by another replica (the leader's recovery). */
    public MigrationInfo drivenBy(String replica, Instant at) {
        return new MigrationInfo(id, gpid, source, target, mode, state, reason, imageBytes, bytesTransferred, freezeMillis,
                preFreezeMillis, dumpMillis, transferMillis, restoreMillis, postResumeMillis, totalMillis, createdAt, at, replica);
    }

    /**
     * Ended. A move that went through also gets its post-resume time: what the whole took beyond
     * its run-up and its freeze.
     */
    public MigrationInfo finished(MigrationState end, String why, Long freezeMs, Long restoreMs, Instant at) {
        long total = at.toEpochMilli() - createdAt.toEpochMilli();
        Long postResume = end == MigrationState.DONE && freezeMs != null && preFreezeMillis != null
                ? Math.max(0, total - preFreezeMillis - freezeMs) : null;
        return new MigrationInfo(id, gpid, source, target, mode, end, why, imageBytes, bytesTransferred, freezeMs,
                preFreezeMillis, dumpMillis, transferMillis, restoreMs, postResume, total, createdAt, at, driver);
    }
}
