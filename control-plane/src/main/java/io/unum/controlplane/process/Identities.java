package io.unum.controlplane.process;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SpawnRequest;
import io.unum.controlplane.error.UnumException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Objects;

/**
 * Decides who a new process runs as. By default a process tree runs as a dynamic uid of its own
 * (its gid equal to it), so Unum processes cannot read each other's /proc entries, memory or
 * files. Processes meant to cooperate get the same identity by being started in one tree (a child
 * takes its parent's), share a gid by naming the same group, or run as the same named account
 * (which may be root) when an admin names one.
 */
@ApplicationScoped
public class Identities {

    /**
     * Who a process runs as: a named account (user set, uid null; the node resolves it) or a
     * dynamic identity (uid and gid set, user their display name).
     */
    public record RunAs(String user, Integer uid, Integer gid, String group) {
    }

    private final DynamicIds ids;
    private final GroupStore groups;

    public Identities(DynamicIds ids, GroupStore groups) {
        this.ids = ids;
        this.groups = groups;
    }

    /** The identity of a new process; request is validated, parent null for a tree's root. */
    public RunAs forSpawn(SpawnRequest request, ProcessInfo parent) {
        if (request.user() != null) {
            if (request.group() != null) {
                throw UnumException.invalidRequest("user and group are exclusive: the account '" + request.user()
                        + "' brings its own groups");
            }
            return new RunAs(request.user(), null, null, null);
        }
        if (parent != null && (parent.uid() != null || parent.user() != null)) {
            if (request.group() != null && !request.group().equals(parent.group())) {
                throw UnumException.invalidRequest("a child runs as its parent's identity; group '" + request.group()
                        + "' is not the group of parent " + parent.gpid() + " (" + Objects.requireNonNullElse(
                                parent.group(), "none") + ")");
            }
            return new RunAs(parent.user(), parent.uid(), parent.gid(), parent.group());
        }
        int uid = ids.next();
        int gid = request.group() == null ? uid : groups.gidOf(request.group(), ids::next);
        return new RunAs(Integer.toString(uid), uid, gid, request.group());
    }
}
