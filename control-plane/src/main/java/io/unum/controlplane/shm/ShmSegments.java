package io.unum.controlplane.shm;

import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdConflictException;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Segment metadata in etcd: the segments, the index from System V key or POSIX name to the segment
 * it means now, and the id counter. A segment and its name are written in one transaction, so two
 * nodes creating the same key at once make one segment. Answers carry the errno shmget and
 * shm_open would give the program.
 */
@ApplicationScoped
public class ShmSegments {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EFBIG = 27;
    private static final String COUNTER = "next";

    /** An errno (0: fine) and the segment it is about. */
    public record Answer(int errno, StoredSegment segment) {
        static Answer of(StoredSegment s) {
            return new Answer(0, s);
        }

        static Answer error(int errno) {
            return new Answer(errno, null);
        }
    }

    private final Etcd etcd;
    private final EtcdTable<StoredSegment> segments;
    private final EtcdTable<NameIndex> names;
    private final EtcdTable<IdCounter> counter;
    private final ShmConfig config;
    private final InstantSource clock;

    public ShmSegments(Etcd etcd, EtcdTables tables, ShmConfig config, InstantSource clock) {
        this.etcd = etcd;
        this.segments = tables.json("shm/segments/", StoredSegment.class);
        this.names = tables.json("shm/names/", NameIndex.class);
        this.counter = tables.json("shm/next-id/", IdCounter.class);
        this.config = config;
        this.clock = clock;
    }

    public List<StoredSegment> list() {
        return segments.values().stream().sorted(Comparator.comparingInt(StoredSegment::id)).toList();
    }

    public Optional<StoredSegment> find(int id) {
        return segments.getOrFetch(Integer.toString(id)).map(EtcdTable.Versioned::value);
    }

    public StoredSegment get(int id) {
        return find(id).orElseThrow(() -> UnumException.notFound("no shared memory segment " + id
                + " (unum ipcs lists them)"));
    }

    /** The segments a process has mapped. */
    public List<StoredSegment> attachedBy(int gpid) {
        return list().stream().filter(s -> s.attachments().stream().anyMatch(a -> a.gpid() == gpid)).toList();
    }

    /** shmget / shm_open: the segment the key or name means, created when asked and absent. */
    public Answer open(Integer key, String name, boolean create, boolean exclusive, long size, int mode, int gpid,
            int uid, int gid, String node, String incarnation) {
        if (name != null && (name.length() < 2 || name.length() > 255 || !name.startsWith("/") || name.indexOf('/', 1) >= 0)) {
            return Answer.error(EINVAL);
        }
        String nameKey = StoredSegment.nameKey(key, name);
        for (int attempt = 0; attempt < EtcdTable.MAX_ATTEMPTS; attempt++) {
            if (nameKey != null) {
                Optional<StoredSegment> existing = names.getOrFetch(nameKey).flatMap(n -> find(n.value().segmentId()));
                if (existing.isPresent()) {
                    if (create && exclusive) {
                        return Answer.error(EEXIST);
                    }
                    if (!existing.get().allows(uid, gid)) {
                        return Answer.error(EACCES);
                    }
                    if (name == null && size > existing.get().sizeBytes()) {
                        return Answer.error(EINVAL);
                    }
                    return Answer.of(existing.get());
                }
            }
            if (!create) {
                return Answer.error(ENOENT);
            }
            if (name == null && (size <= 0 || size > config.maxSegmentBytes())) {
                return Answer.error(EINVAL);
            }
            if (segments.snapshot().size() >= config.maxSegments()) {
                return Answer.error(ENOSPC);
            }
            int id = nextId();
            StoredSegment s = new StoredSegment(id, name == null ? key : null, name, name == null ? size : 0, mode, gpid, uid, gid, node,
                    incarnation, List.of(), false, 0, null, clock.instant(), java.util.Set.of(node));
            if (created(s, nameKey)) {
                return Answer.of(s);
            }
            // Someone created the same name an instant ago: use theirs.
        }
        throw new EtcdConflictException("the name of a shared memory segment kept changing; retry shortly");
    }

    private boolean created(StoredSegment s, String nameKey) {
        String id = Integer.toString(s.id());
        List<Cmp> guards = new java.util.ArrayList<>(List.of(segments.absent(id)));
        List<Op> ops = new java.util.ArrayList<>(List.of(segments.putOp(id, s)));
        if (nameKey != null) {
            guards.add(names.absent(nameKey));
            ops.add(names.putOp(nameKey, new NameIndex(s.id())));
        }
        Optional<Long> revision = etcd.txn(guards, ops);
        revision.ifPresent(r -> {
            segments.applied(id, s, r);
            if (nameKey != null) {
                names.applied(nameKey, new NameIndex(s.id()), r);
            }
        });
        return revision.isPresent();
    }

    private int nextId() {
        if (counter.getOrFetch(COUNTER).isEmpty()) {
            counter.create(COUNTER, new IdCounter(1));
        }
        int[] taken = new int[1];
        counter.update(COUNTER, c -> {
            taken[0] = c.next();
            return new IdCounter(c.next() + 1);
        });
        return taken[0];
    }

    /** shmat, shmctl(IPC_STAT) by id: EINVAL when there is no such segment, EACCES when its mode refuses uid. */
    public Answer openById(int id, int uid, int gid) {
        return find(id).map(s -> s.allows(uid, gid) ? Answer.of(s) : Answer.error(EACCES)).orElse(Answer.error(EINVAL));
    }

    /** IPC_RMID / shm_unlink by a program: only its owner (or root) may. */
    public Answer removeAs(int id, int uid) {
        Optional<StoredSegment> s = find(id);
        if (s.isPresent() && uid != 0 && uid != s.get().uid()) {
            return Answer.error(EPERM);
        }
        return remove(id);
    }

    public Answer unlinkAs(String name, int uid) {
        String nameKey = StoredSegment.nameKey(null, name);
        Optional<Integer> id = names.getOrFetch(nameKey).map(n -> n.value().segmentId());
        return id.map(i -> {
            Answer a = removeAs(i, uid);
            return a.errno() == EPERM ? Answer.error(EACCES) : a;
        }).orElse(Answer.error(ENOENT));
    }

    public Answer attach(int id, int gpid, String node, int pid, String incarnation) {
        Optional<StoredSegment> s = segments.update(Integer.toString(id),
                cur -> cur.withAttachment(new StoredAttachment(gpid, node, pid, clock.instant(), incarnation)));
        return s.map(Answer::of).orElse(Answer.error(EINVAL));
    }

    /** One attachment less; the segment is destroyed (and returned) when it was removed and nobody is left. */
    public Optional<StoredSegment> detach(int id, int gpid, String node, int pid) {
        Optional<StoredSegment> s = segments.update(Integer.toString(id), cur -> cur.withoutAttachment(gpid, node, pid));
        return s.filter(this::destroyIfDone);
    }

    /**
     * Drops what node's agent recorded in its earlier starts: their processes lost the agent and
     * cannot use their mappings any more. Returns the segments this destroyed.
     */
    public List<StoredSegment> forgetEarlierStarts(String node, String incarnation) {
        List<StoredSegment> destroyed = new java.util.ArrayList<>();
        for (StoredSegment s : list()) {
            if (s.attachments().stream().anyMatch(a -> a.node().equals(node) && !incarnation.equals(a.incarnation()))) {
                segments.update(Integer.toString(s.id()), cur -> cur.withoutStaleAttachments(node, incarnation))
                        .filter(this::destroyIfDone).ifPresent(destroyed::add);
            }
        }
        return destroyed;
    }

    /** IPC_RMID, shm_unlink, `unum ipcrm`: the name is free at once; destroyed when nobody is attached. */
    public Answer remove(int id) {
        Optional<StoredSegment> s = segments.update(Integer.toString(id), StoredSegment::asRemoved);
        if (s.isEmpty()) {
            return Answer.error(EINVAL);
        }
        String nameKey = s.get().nameKey();
        if (nameKey != null) {
            names.delete(nameKey, n -> n.segmentId() == id);
        }
        destroyIfDone(s.get());
        return Answer.of(s.get());
    }

    public boolean isDestroyed(int id) {
        return find(id).isEmpty();
    }

    private boolean destroyIfDone(StoredSegment s) {
        if (!s.removed() || !s.attachments().isEmpty()) {
            return false;
        }
        return segments.delete(Integer.toString(s.id()), cur -> cur.removed() && cur.attachments().isEmpty());
    }

    /** ftruncate of a POSIX segment: its size is set once (or to the same size again). */
    public Answer resize(int id, long size) {
        if (size < 0 || size > config.maxSegmentBytes()) {
            return Answer.error(EFBIG);
        }
        int[] errno = new int[1];
        Optional<StoredSegment> s = segments.update(Integer.toString(id), cur -> {
            if (cur.sizeBytes() == size) {
                return cur;
            }
            if (cur.sizeBytes() != 0 || cur.name() == null) {
                errno[0] = EINVAL;
                return cur;
            }
            return cur.withSize(size);
        });
        if (s.isEmpty()) {
            return Answer.error(EINVAL);
        }
        return errno[0] != 0 ? Answer.error(errno[0]) : Answer.of(s.get());
    }

    public void lost(int id, long pages, String reason) {
        segments.update(Integer.toString(id), cur -> cur.withLost(pages, reason));
    }
}
