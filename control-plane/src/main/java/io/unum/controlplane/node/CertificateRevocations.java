package io.unum.controlplane.node;

import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * Which agent certificates no longer count. Every certificate signed for a node is recorded as
 * that node's current one ({@code /unum/node-certificates/<node>}); the one it replaces, and the
 * current one of a node an admin removed, are revoked ({@code /unum/revoked-certificates/<serial>})
 * until they expire. The agent port refuses them, and agents learn the list with every heartbeat
 * so they refuse them too: a removed machine's key opens nothing, though its certificate is valid.
 */
@ApplicationScoped
public class CertificateRevocations {
    /** A node's current certificate. */
    public record Current(String serial, Instant notAfter) {
    }

    /** A revoked certificate, kept until it would have expired anyway. */
    public record Revoked(String node, Instant revokedAt, Instant notAfter, String reason) {
    }

    private final EtcdTable<Current> current;
    private final EtcdTable<Revoked> revoked;
    private final InstantSource clock;

    public CertificateRevocations(EtcdTables tables, InstantSource clock) {
        this.current = tables.json("node-certificates/", Current.class);
        this.revoked = tables.json("revoked-certificates/", Revoked.class);
        this.clock = clock;
    }

    /** A new certificate for node: it is the node's only one from now on. */
    public void issued(String node, String serial, Instant notAfter) {
        Optional<Current> before = current.getOrFetch(node).map(EtcdTable.Versioned::value);
        current.put(node, new Current(serial, notAfter));
        before.filter(b -> !b.serial().equals(serial))
                .ifPresent(b -> revoked.put(b.serial(), new Revoked(node, clock.instant(), b.notAfter(), "replaced by a new one")));
    }

    /** The node was removed: its current certificate opens nothing any more. */
    public void revokeNode(String node, String reason) {
        current.getOrFetch(node).map(EtcdTable.Versioned::value).ifPresent(c -> {
            revoked.put(c.serial(), new Revoked(node, clock.instant(), c.notAfter(), reason));
            current.delete(node, x -> x.serial().equals(c.serial()));
        });
    }

    public boolean isRevoked(String serial) {
        return revoked.get(serial).isPresent();
    }

    /** Serials of every revoked certificate that has not expired yet (expired ones fail TLS anyway). */
    public List<String> revokedSerials() {
        Instant now = clock.instant();
        return revoked.snapshot().entrySet().stream()
                .filter(e -> e.getValue().value().notAfter() == null || e.getValue().value().notAfter().isAfter(now))
                .map(java.util.Map.Entry::getKey).sorted().toList();
    }

    /** The serial as every party writes it: lower-case hex. */
    public static String serial(java.security.cert.X509Certificate cert) {
        return cert.getSerialNumber().toString(16);
    }
}
