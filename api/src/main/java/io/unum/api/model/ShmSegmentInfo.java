package io.unum.api.model;

import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A cluster-wide shared memory segment (System V key or POSIX name), as `unum ipcs` shows it.
 * pages is filled when one segment is read: what each node holds of it and how many pages crossed.
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
@Schema(description = "A cluster-wide shared memory segment")
public record ShmSegmentInfo(
        @Schema(required = true) int id,
        @Schema(description = "System V key; absent for a POSIX segment") Integer key,
        @Schema(description = "POSIX name (\"/name\"); absent for a System V segment") String name,
        @Schema(required = true) long sizeBytes,
        @Schema(required = true, description = "Permission bits, octal as in ipcs") int mode,
        @Schema(required = true) int creatorGpid,
        @Schema(description = "The owner's uid (the creating program's)") Integer uid,
        @Schema(description = "The owner's gid") Integer gid,
        @Schema(required = true, description = "The node keeping the page directory and clean copies") String homeNode,
        @Schema(required = true) ShmState state,
        @Schema(required = true) long lostPages,
        String lostReason,
        Instant createdAt,
        @Schema(required = true) List<ShmAttachmentInfo> attachments,
        List<ShmNodePagesInfo> pages) {
}
