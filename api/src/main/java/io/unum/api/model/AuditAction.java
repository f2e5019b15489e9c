package io.unum.api.model;

/** What an {@link AuditEntry} records. */
public enum AuditAction {
    /** A spawn as a user other than the default one, or with capabilities asked for. */
    PRIVILEGED_SPAWN,
    /** A signal sent through the API. */
    SIGNAL,
    /** A change of a process's capability sets. */
    CAPABILITIES,
    /** A migration asked for through the API. */
    MIGRATE,
    /** A join token created (the detail names its id and expiry, never the secret). */
    JOIN_TOKEN_CREATE,
    /** A join token deleted: no agent can join with it any more. */
    JOIN_TOKEN_DELETE,
    /** A node removed: its agent's certificate is revoked, it must join again to come back. */
    NODE_REMOVE,
    /** A change of the cluster file system through the API: a file written, a directory made, an entry removed, a goal set. */
    FS_CHANGE
}
