package io.unum.controlplane.process;

import io.quarkus.runtime.Startup;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.etcd.EtcdTables;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * Named groups ({@code /unum/groups/<name>}): processes spawned with the same group name run as
 * uids of their own but share the group's gid, so what one creates (umask 007) the others may
 * read and write, cluster-wide, without a group in any node's /etc/group. A group's gid is
 * allocated by the first spawn that names it and kept for good: files may carry it long after.
 */
@Startup
@ApplicationScoped
public class GroupStore implements IdHolders {

    /** One named group. */
    public record NamedGroup(String name, int gid, Instant createdAt) {
    }

    private final EtcdTable<NamedGroup> table;
    private final InstantSource clock;

    public GroupStore(EtcdTables tables, InstantSource clock) {
        this.table = tables.json("groups/", NamedGroup.class);
        this.clock = clock;
    }

    /** The gid of group name, allocated with newGid if no spawn named it before. */
    public int gidOf(String name, IntSupplier newGid) {
        for (int attempt = 0; attempt < EtcdTable.MAX_ATTEMPTS; attempt++) {
            var known = table.getOrFetch(name).map(Versioned::value);
            if (known.isPresent()) {
                return known.get().gid();
            }
            NamedGroup created = new NamedGroup(name, newGid.getAsInt(), clock.instant());
            if (table.create(name, created)) {
                return created.gid();
            }
            // another spawn created it first: its gid wins (the one taken here is simply skipped)
        }
        throw new io.unum.controlplane.etcd.EtcdConflictException("group " + name + " kept changing; retry shortly");
    }

    @Override
    public void collectHeld(Set<Integer> into) {
        table.values().forEach(g -> into.add(g.gid()));
    }
}
