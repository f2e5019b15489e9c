package io.unum.controlplane.join;

import java.time.Instant;

/**
 * When the control planes first saw the bootstrap join token ({@code /unum/bootstrap-join-token/current}),
 * so that its time to live ({@code unum.auth.bootstrap-join-token-ttl}) counts from then and a
 * restart of the control plane does not renew it. A new token in the environment starts a new count.
 */
public record BootstrapAnchor(String sha256, Instant firstSeen) {
}
