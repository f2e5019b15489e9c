package io.unum.controlplane.audit;

import io.quarkus.runtime.Startup;
import io.unum.api.model.AuditAction;
import io.unum.api.model.AuditEntry;
import io.unum.controlplane.auth.CurrentCaller;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * The audit log ({@code /unum/audit/<id>}): privileged spawns, signals, capability changes and
 * migrations, with the caller who asked. An entry is written before the action is carried out,
 * and an action whose entry cannot be written is refused, so nothing privileged happens unrecorded.
 * Ids are the time in milliseconds and a random suffix, so they sort by time across replicas.
 */
@Startup
@ApplicationScoped
public class AuditLog {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);

    private final EtcdTable<AuditEntry> table;
    private final CurrentCaller caller;
    private final InstantSource clock;
    private final AuditConfig config;

    public AuditLog(EtcdTables tables, CurrentCaller caller, InstantSource clock, AuditConfig config) {
        this.table = tables.json("audit/", AuditEntry.class);
        this.caller = caller;
        this.clock = clock;
        this.config = config;
    }

    /** Records an action of the current caller; throws (and the action must not happen) when etcd does not take it. */
    public AuditEntry record(AuditAction action, Integer gpid, String node, List<String> argv, String user,
            String capabilities, String detail) {
        return recordAs(caller.describe(), action, gpid, node, argv, user, capabilities, detail);
    }

    /** {@link #record} for a caller authenticated outside Quarkus's security (a route of its own). */
    public AuditEntry recordAs(String who, AuditAction action, Integer gpid, String node, List<String> argv, String user,
            String capabilities, String detail) {
        var at = clock.instant();
        String id = String.format("%013d-%08x", at.toEpochMilli(), ThreadLocalRandom.current().nextInt());
        AuditEntry entry = new AuditEntry(id, at, who, action, gpid, node, argv, user, capabilities, detail);
        table.put(id, entry);
        trim();
        return entry;
    }

    /** Records a migration asked for through the API, once it is accepted. */
    public void migration(io.unum.api.model.MigrationInfo m) {
        record(AuditAction.MIGRATE, m.gpid(), m.target(), null, null, null,
                "migration " + m.id() + " from " + m.source() + ", " + m.mode());
    }

    /** The newest {@code limit} entries, oldest first. */
    public List<AuditEntry> recent(int limit) {
        List<AuditEntry> all = table.values().stream().sorted(Comparator.comparing(AuditEntry::id)).toList();
        return all.subList(Math.max(0, all.size() - limit), all.size());
    }

    private void trim() {
        List<String> ids = table.snapshot().keySet().stream().sorted().toList();
        for (String old : ids.subList(0, Math.max(0, ids.size() - config.maxEntries()))) {
            try {
                table.delete(old, e -> true);
            } catch (RuntimeException e) {
                // The next write trims again; an entry kept a little longer does no harm.
                LOG.debugf("could not trim audit entry %s: %s", old, e.getMessage());
                return;
            }
        }
    }
}
