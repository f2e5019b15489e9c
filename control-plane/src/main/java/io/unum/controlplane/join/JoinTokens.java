package io.unum.controlplane.join;

import io.quarkus.runtime.Startup;
import io.unum.api.model.AuditAction;
import io.unum.api.model.JoinTokenInfo;
import io.unum.api.model.NewJoinToken;
import io.unum.controlplane.audit.AuditLog;
import io.unum.controlplane.auth.AuthConfig;
import io.unum.controlplane.auth.ClusterTlsConfig;
import io.unum.controlplane.auth.CurrentCaller;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.pki.CaCertHash;
import io.unum.pki.Pem;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The secrets agents join with ({@code Enroll}), like kubeadm's bootstrap tokens: short-lived,
 * created and deleted by admins, kept in etcd ({@code /unum/join-tokens/<id>}) only as a SHA-256
 * hash with their expiry. A token is {@code <id>.<secret>}: the id finds the record, the hash of
 * the whole token is compared in constant time. The bootstrap token of the environment
 * ({@code unum.auth.join-token}) stays valid, for {@code unum.auth.bootstrap-join-token-ttl} if set,
 * counted from when a control plane first saw it (kept in etcd, so a restart does not renew it).
 * None of them opens anything but {@code Enroll}: a joined agent proves itself with its certificate.
 */
@Startup
@ApplicationScoped
public class JoinTokens {
    private static final Logger LOG = Logger.getLogger(JoinTokens.class);
    static final Duration DEFAULT_TTL = Duration.ofHours(1);
    static final Duration MAX_TTL = Duration.ofHours(24);
    static final Duration KEPT_AFTER_EXPIRY = Duration.ofMinutes(10);
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final int ID_LENGTH = 6;
    private static final int SECRET_LENGTH = 24;
    private static final Pattern FORM = Pattern.compile("([a-z0-9]{" + ID_LENGTH + "})\\.[a-z0-9]{" + SECRET_LENGTH + "}");
    private static final String ANCHOR = "current";
    /** What every refusal tells the operator to do. */
    private static final String REMEDY = "create a new one with `unum join-token create`";

    private final EtcdTable<StoredJoinToken> table;
    private final EtcdTable<BootstrapAnchor> anchors;
    private final byte[] bootstrapHash;
    private final Optional<Duration> bootstrapTtl;
    private final AuditLog audit;
    private final CurrentCaller caller;
    private final ClusterTlsConfig tls;
    private final InstantSource clock;
    private final SecureRandom random = new SecureRandom();

    public JoinTokens(EtcdTables tables, AuthConfig config, ClusterTlsConfig tls, AuditLog audit, CurrentCaller caller,
            InstantSource clock) {
        this.table = tables.json("join-tokens/", StoredJoinToken.class);
        this.bootstrapHash = sha256(config.joinToken());
        this.bootstrapTtl = config.bootstrapJoinTokenTtl();
        this.audit = audit;
        this.caller = caller;
        this.tls = tls;
        this.clock = clock;
        this.anchors = bootstrapTtl.isPresent() ? tables.json("bootstrap-join-token/", BootstrapAnchor.class) : null;
        if (anchors != null) {
            anchorBootstrap();
        }
    }

    /** Creates a token valid for ttlSeconds (null: an hour); the audit log records it first. */
    public NewJoinToken create(Long ttlSeconds) {
        Duration ttl = ttl(ttlSeconds);
        // Before anything is written: a token whose CA cannot be named would be shown without its hash.
        String caCertHash = caCertHash().orElse(null);
        String id;
        do {
            id = randomString(ID_LENGTH);
        } while (table.getOrFetch(id).isPresent());
        String token = id + "." + randomString(SECRET_LENGTH);
        Instant now = clock.instant();
        StoredJoinToken stored = new StoredJoinToken(id, HexFormat.of().formatHex(sha256(token)), now, now.plus(ttl),
                caller.describe());
        audit.record(AuditAction.JOIN_TOKEN_CREATE, null, null, null, null, null,
                "join token " + id + ", expires " + stored.expiresAt());
        if (!table.create(id, stored)) {
            throw UnumException.invalidState("another join token took the id " + id + " at the same moment; create again");
        }
        LOG.infof("join token %s created by %s, expires %s", id, stored.createdBy(), stored.expiresAt());
        return new NewJoinToken(id, token, stored.expiresAt(), caCertHash);
    }

    /**
     * The hash a joining agent pins the cluster CA by ({@code --ca-cert-hash}), shown with every new
     * token as kubeadm shows its join command. Read from the file each time, so a replaced CA shows.
     */
    private Optional<String> caCertHash() {
        return tls.caCert().map(file -> CaCertHash.of(Pem.readCertificate(Path.of(file))).toString());
    }

    /** The tokens that can still be used, soonest to expire first; never their secrets. */
    public List<JoinTokenInfo> list() {
        Instant now = clock.instant();
        return table.values().stream()
                .filter(t -> now.isBefore(t.expiresAt()))
                .sorted(Comparator.comparing(StoredJoinToken::expiresAt).thenComparing(StoredJoinToken::id))
                .map(t -> new JoinTokenInfo(t.id(), t.createdAt(), t.expiresAt(), t.createdBy()))
                .toList();
    }

    /** Deletes a token: no agent can join with it from now on. Agents that joined with it keep their certificates. */
    public void delete(String id) {
        if (id == null || !id.matches("[a-z0-9]{" + ID_LENGTH + "}") || table.fetch(id).isEmpty()) {
            throw UnumException.notFound("no join token has the id '" + id + "'; `unum join-token list` shows them");
        }
        audit.record(AuditAction.JOIN_TOKEN_DELETE, null, null, null, null, null, "join token " + id);
        table.delete(id, t -> true);
        LOG.infof("join token %s deleted", id);
    }

    /**
     * Checks a token presented to {@code Enroll}; returns how the log names it ("bootstrap" or its id).
     * Throws {@link JoinTokenException} for a missing, unknown, deleted or expired one.
     */
    public String verify(String token) {
        if (token == null || token.isBlank()) {
            throw new JoinTokenException("joining needs a join token as metadata 'authorization: Bearer <token>'; " + REMEDY);
        }
        byte[] presented = sha256(token);
        Instant now = clock.instant();
        if (MessageDigest.isEqual(presented, bootstrapHash)) {
            Optional<Instant> expiry = bootstrapExpiry();
            if (expiry.isPresent() && !now.isBefore(expiry.get())) {
                throw new JoinTokenException("the join token expired at " + expiry.get()
                        + " (unum.auth.bootstrap-join-token-ttl); " + REMEDY);
            }
            return "bootstrap";
        }
        Matcher form = FORM.matcher(token);
        if (form.matches()) {
            // From etcd, not the watched copy: a token deleted on another replica an instant ago is refused.
            Optional<StoredJoinToken> stored = table.fetch(form.group(1)).map(EtcdTable.Versioned::value);
            if (stored.isPresent() && MessageDigest.isEqual(presented, HexFormat.of().parseHex(stored.get().sha256()))) {
                if (!now.isBefore(stored.get().expiresAt())) {
                    collect(stored.get());
                    throw new JoinTokenException("the join token expired at " + stored.get().expiresAt() + "; " + REMEDY);
                }
                return stored.get().id();
            }
        }
        throw new JoinTokenException("the join token is not valid (mistyped, deleted, or expired and collected); " + REMEDY);
    }

    /**
     * Deletes the tokens that expired more than {@link #KEPT_AFTER_EXPIRY} ago; returns how many. The
     * others are kept a while so that an agent still trying one hears that it expired (and that
     * refusal deletes it).
     */
    int collectExpired() {
        Instant cutoff = clock.instant().minus(KEPT_AFTER_EXPIRY);
        int n = 0;
        for (StoredJoinToken t : table.values()) {
            if (!cutoff.isBefore(t.expiresAt())) {
                collect(t);
                n++;
            }
        }
        return n;
    }

    private void collect(StoredJoinToken t) {
        try {
            table.delete(t.id(), current -> !clock.instant().isBefore(current.expiresAt()));
        } catch (RuntimeException e) {
            // The collector tries again; an expired record is refused all the same.
            LOG.debugf("could not delete expired join token %s: %s", t.id(), e.getMessage());
        }
    }

    static Duration ttl(Long ttlSeconds) {
        if (ttlSeconds == null) {
            return DEFAULT_TTL;
        }
        if (ttlSeconds < 1 || ttlSeconds > MAX_TTL.toSeconds()) {
            throw UnumException.invalidRequest("ttlSeconds " + ttlSeconds + " must be from 1 to " + MAX_TTL.toSeconds()
                    + " (24 hours); leave it out for " + DEFAULT_TTL.toSeconds());
        }
        return Duration.ofSeconds(ttlSeconds);
    }

    private Optional<Instant> bootstrapExpiry() {
        if (anchors == null) {
            return Optional.empty();
        }
        String hash = HexFormat.of().formatHex(bootstrapHash);
        Optional<BootstrapAnchor> anchor = anchors.getOrFetch(ANCHOR).map(EtcdTable.Versioned::value)
                .filter(a -> a.sha256().equals(hash));
        if (anchor.isEmpty()) {
            anchor = Optional.of(anchorBootstrap());
        }
        return Optional.of(anchor.get().firstSeen().plus(bootstrapTtl.get()));
    }

    /** Records when the bootstrap token was first seen, unless another replica (or an earlier start) did. */
    private BootstrapAnchor anchorBootstrap() {
        String hash = HexFormat.of().formatHex(bootstrapHash);
        Optional<BootstrapAnchor> kept = anchors.getOrFetch(ANCHOR).map(EtcdTable.Versioned::value);
        if (kept.isPresent() && kept.get().sha256().equals(hash)) {
            return kept.get();
        }
        BootstrapAnchor now = new BootstrapAnchor(hash, clock.instant());
        if (kept.isEmpty() && !anchors.create(ANCHOR, now)) {
            return anchors.getOrFetch(ANCHOR).map(EtcdTable.Versioned::value).orElse(now);
        }
        if (kept.isPresent()) {
            // A new bootstrap token in the environment: its time counts from now.
            anchors.put(ANCHOR, now);
        }
        LOG.infof("the bootstrap join token is valid until %s (unum.auth.bootstrap-join-token-ttl)",
                now.firstSeen().plus(bootstrapTtl.get()));
        return now;
    }

    private String randomString(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return s.toString();
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
