package io.unum.controlplane.auth;

/** Who a bearer token speaks for. */
public enum Role {
    /** Reads nodes and processes. */
    VIEWER,
    /** Everything a viewer can, and starts, signals and changes processes. */
    ADMIN,
    /** The bootstrap join token: opens nothing on the public APIs (it is for Enroll, on the agent port). */
    AGENT;

    /** Role names as used in {@code @RolesAllowed}. */
    public static final String VIEWER_NAME = "viewer";
    public static final String ADMIN_NAME = "admin";
}
