package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * One line of the audit log ({@code GET /api/v1/audit}): a privileged or state-changing action,
 * who asked for it and what it named. Fields an action has no use for are left out.
 *
 * @param id sortable by time: later entries have greater ids
 * @param at when the control plane accepted the request
 * @param actor the token's role and fingerprint, e.g. {@code admin (token sha256:1a2b3c4d)}
 * @param action what was done
 * @param gpid the process acted on
 * @param node the node it runs on (for a migration: the target node asked for, if any)
 * @param argv the program and arguments of a spawn
 * @param user the Unix user of a spawn
 * @param capabilities the krgcapset change asked for
 * @param detail the rest: the signal, the migration mode, why the spawn is privileged
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditEntry(
        String id,
        Instant at,
        String actor,
        AuditAction action,
        Integer gpid,
        String node,
        List<String> argv,
        String user,
        String capabilities,
        String detail) {
}
