package io.unum.agent.shm;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.agent.registration.ControlPlaneClient;
import io.unum.api.grpc.AcquirePageRequest;
import io.unum.api.grpc.AttachSegmentRequest;
import io.unum.api.grpc.AttachSegmentResponse;
import io.unum.api.grpc.DetachSegmentRequest;
import io.unum.api.grpc.DetachSegmentResponse;
import io.unum.api.grpc.LookupSegmentRequest;
import io.unum.api.grpc.LookupSegmentResponse;
import io.unum.api.grpc.PageState;
import io.unum.api.grpc.ReportLostPagesRequest;
import io.unum.api.grpc.ResizeSegmentRequest;
import io.unum.api.grpc.ResizeSegmentResponse;
import io.unum.api.grpc.RevokePageRequest;
import io.unum.api.grpc.RevokePageResponse;
import io.unum.api.grpc.SegmentShape;
import io.unum.api.grpc.ShmNodePages;
import io.unum.api.grpc.ShmRegistryServiceGrpc;
import io.unum.api.grpc.ShmSegment;
import io.unum.api.grpc.UnlinkSegmentRequest;
import io.unum.api.grpc.UnlinkSegmentResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * This node's part of cluster-wide shared memory: it answers the preload library of the node's
 * processes, keeps the node's copy of each attached segment, is the home of the segments created
 * here, and talks to other agents' {@link ShmPageGrpcService} for pages. Segment metadata is the
 * control plane's (etcd); page bytes go agent to agent.
 */
public final class ShmNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ShmNode.class.getName());
    static final int EIO = 5;
    static final int EFAULT = 14;
    static final int EACCES = 13;
    static final int EINVAL = 22;
    static final int EPROTO = 71;
    private static final int IPC_CREAT = 01000;
    private static final int IPC_EXCL = 02000;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;

    private final String node;
    /** Changes with every start: a home that sees it change knows the node's copies are gone. */
    private final String incarnation = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
    private final ShmDirectories dirs;
    private final ControlPlaneClient controlPlane;
    private final ShmPeers peers;
    private final Function<Integer, Optional<Integer>> gpidOfPid;
    private final Map<Integer, LocalSegment> local = new ConcurrentHashMap<>();
    private final Map<Integer, String> homeAddresses = new ConcurrentHashMap<>();
    private final Map<Integer, HomeDirectory> homes = new ConcurrentHashMap<>();
    /** What the homes here know of other nodes: where they are and which life of theirs holds pages. */
    private final Map<String, String> nodeAddresses = new ConcurrentHashMap<>();
    private final Map<String, String> nodeIncarnations = new ConcurrentHashMap<>();
    private final Map<Long, ShmSession> sessions = new ConcurrentHashMap<>();
    /** Trees being dumped: their processes may not connect until the dump is over. */
    private final java.util.Set<Integer> dumping = ConcurrentHashMap.newKeySet();
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "unum-shm-report");
        t.setDaemon(true);
        return t;
    });
    private volatile String address;

    public ShmNode(String node, ShmDirectories dirs, ControlPlaneClient controlPlane, ShmPeers peers,
            Function<Integer, Optional<Integer>> gpidOfPid) {
        this.node = node;
        this.dirs = dirs;
        this.controlPlane = controlPlane;
        this.peers = peers;
        this.gpidOfPid = gpidOfPid;
    }

    /**
     * Tells the control plane, in the background until it answers, that attachments of this
     * node's earlier agent starts are dead: their processes lost their connection with that agent.
     */
    public void forgetEarlierStarts() {
        Thread t = new Thread(() -> {
            for (int attempt = 0; ; attempt++) {
                try {
                    controlPlane.call(ShmRegistryServiceGrpc::newBlockingStub, stub -> stub.forgetEarlierStarts(
                            io.unum.api.grpc.ForgetEarlierStartsRequest.newBuilder().setNode(node).setIncarnation(incarnation)
                                    .build()));
                    return;
                } catch (StatusRuntimeException e) {
                    if (attempt % 30 == 0) {
                        LOG.info("cannot yet drop the shared memory attachments of earlier starts: " + e.getStatus());
                    }
                    try {
                        Thread.sleep(2000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }, "unum-shm-forget");
        t.setDaemon(true);
        t.start();
    }

    /** Where other agents reach this one; known once the gRPC server is bound. */
    public void advertise(String hostPort) {
        this.address = hostPort;
    }

    public Path socket() {
        return dirs.socket();
    }

    Optional<Integer> gpidOf(int pid) {
        return gpidOfPid.apply(pid);
    }

    boolean isDumping(int gpid) {
        return dumping.contains(gpid);
    }

    /** What a process with USE_REMOTE_MEMORY finds in its environment (beside LD_PRELOAD), and its pointer file. */
    public Map<String, String> environmentFor(int gpid) {
        dirs.point(gpid);
        return Map.of("UNUM_SHM_SOCKET", dirs.socket().toString(), "UNUM_SHM_POINTER", dirs.pointer(gpid).toString());
    }

    /**
     * Before CRIU dumps gpid's tree: each of its processes that uses shared memory lets go (its
     * regions become placeholders, its connections close) and may not connect again until
     * {@link #dumped}. The pages stay with this node and the segments' homes, never in the image.
     */
    public void suspend(int gpid) {
        dumping.add(gpid);
        List<ShmSession> tree = sessions.values().stream().filter(s -> s.gpid == gpid).toList();
        if (!tree.isEmpty()) {
            // Before SUSPEND: a library that dialed during the freeze would hold a socket CRIU
            // refuses to dump ("external socket"), however quickly the agent refused it.
            dirs.hold(gpid);
        }
        for (ShmSession s : tree) {
            if (!s.suspend()) {
                LOG.warning("process " + s.pid + " of gpid " + gpid + " did not let go of its shared memory before the dump");
            }
        }
        long deadline = System.currentTimeMillis() + 5000;
        while (tree.stream().anyMatch(s -> !s.isClosed()) && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The dump is over. If the tree runs on here its processes connect again; otherwise they
     * wait until a restore (here or elsewhere) points them at the agent that runs them.
     */
    public void dumped(int gpid, boolean runsHere) {
        dumping.remove(gpid);
        if (runsHere) {
            dirs.releaseHold(gpid);
        }
    }

    /** A tree was restored here: its processes find this agent through their pointer files. */
    public void restored(int gpid) {
        dirs.point(gpid);
    }

    void opened(ShmSession s) {
        sessions.put(s.id, s);
    }

    Optional<ShmSession> session(long id) {
        return Optional.ofNullable(sessions.get(id));
    }

    // ---- the preload library's requests ----

    void handle(ShmSession s, Frame f) throws IOException {
        ByteBuffer p = f.payload();
        switch (f.op()) {
            case Frame.SHMGET -> {
                int key = p.getInt();
                int flags = p.getInt();
                long size = p.getLong();
                LookupSegmentRequest.Builder req = lookup(s).setKey(key).setCreate((flags & IPC_CREAT) != 0)
                        .setExclusive((flags & IPC_EXCL) != 0).setSizeBytes(size).setMode(flags & 0777);
                s.result(f.tag(), idOrErrno(registry(stub -> stub.lookupSegment(req.build()))));
            }
            case Frame.SHM_OPEN -> {
                int oflag = p.getInt();
                int mode = p.getInt();
                String name = f.text();
                LookupSegmentRequest.Builder req = lookup(s).setPosixName(name).setCreate((oflag & O_CREAT) != 0)
                        .setExclusive((oflag & O_EXCL) != 0).setMode(mode & 0777);
                s.result(f.tag(), idOrErrno(registry(stub -> stub.lookupSegment(req.build()))));
            }
            case Frame.SHM_UNLINK -> {
                String name = f.text();
                UnlinkSegmentResponse r = registry(stub -> stub.unlinkSegment(UnlinkSegmentRequest.newBuilder()
                        .setNode(node).setGpid(s.gpid).setUid(s.uid).setPosixName(name).build()));
                s.result(f.tag(), -r.getErrno());
            }
            case Frame.RMID -> {
                int id = p.getInt();
                UnlinkSegmentResponse r = registry(stub -> stub.unlinkSegment(UnlinkSegmentRequest.newBuilder()
                        .setNode(node).setGpid(s.gpid).setUid(s.uid).setId(id).build()));
                s.result(f.tag(), -r.getErrno());
            }
            case Frame.ATTACH -> attach(s, f.tag(), p.getInt());
            case Frame.ATTACHED -> attached(s, f.tag(), p.getInt(), p.getInt() != 0, p.getLong(), p.getLong());
            case Frame.DETACH -> {
                Region r = s.regions().remove(p.getLong());
                if (r == null) {
                    s.result(f.tag(), -EINVAL);
                } else {
                    s.result(f.tag(), 0);
                    detached(s, r);
                }
            }
            case Frame.STAT -> stat(s, f.tag(), p.getInt());
            case Frame.TRUNCATE -> {
                int id = p.getInt();
                p.getInt();
                long size = p.getLong();
                ResizeSegmentResponse r = registry(stub -> stub.resizeSegment(ResizeSegmentRequest.newBuilder()
                        .setNode(node).setId(id).setSizeBytes(size).build()));
                s.result(f.tag(), -r.getErrno());
            }
            case Frame.FAULT -> fault(s, f.tag(), p.getLong(), p.getLong(), p.getInt() != 0);
            default -> s.result(f.tag(), -EPROTO);
        }
    }

    private LookupSegmentRequest.Builder lookup(ShmSession s) {
        return LookupSegmentRequest.newBuilder().setNode(node).setGpid(s.gpid).setIncarnation(incarnation)
                .setUid(s.uid).setGid(s.gid);
    }

    private long idOrErrno(LookupSegmentResponse r) {
        if (r.getErrno() != 0) {
            return -r.getErrno();
        }
        homeAddresses.put(r.getSegment().getId(), r.getHomeAddress());
        return r.getSegment().getId();
    }

    private void attach(ShmSession s, long tag, int id) throws IOException {
        LookupSegmentResponse r = registry(stub -> stub.lookupSegment(lookup(s).setId(id).build()));
        if (r.getErrno() != 0) {
            s.reply(Frame.ATTACH_OK, tag, Frame.buffer(16).putLong(-r.getErrno()).putLong(0));
            return;
        }
        ShmSegment seg = r.getSegment();
        if (seg.getSizeBytes() <= 0) {
            s.reply(Frame.ATTACH_OK, tag, Frame.buffer(16).putLong(-EINVAL).putLong(0));
            return;
        }
        homeAddresses.put(id, r.getHomeAddress());
        LocalSegment l = localCopy(seg);
        s.admit(id);
        byte[] path = l.backing.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        s.reply(Frame.ATTACH_OK, tag, Frame.buffer(16 + path.length).putLong(0).putLong(l.size).put(path));
    }

    private LocalSegment localCopy(ShmSegment seg) {
        LocalSegment existing = local.get(seg.getId());
        if (existing != null && existing.size == seg.getSizeBytes()) {
            return existing;
        }
        synchronized (local) {
            existing = local.get(seg.getId());
            if (existing != null && existing.size == seg.getSizeBytes()) {
                return existing;
            }
            LocalSegment fresh = new LocalSegment(seg.getId(), seg.getSizeBytes(), seg.getHomeNode(),
                    seg.getHomeIncarnation(), dirs.newBacking(seg.getId()));
            local.put(seg.getId(), fresh);
            if (existing != null) {
                existing.close();
            }
            return fresh;
        }
    }

    private void attached(ShmSession s, long tag, int id, boolean readOnly, long addr, long size) throws IOException {
        LocalSegment l = local.get(id);
        // A POSIX mapping may be shorter than its object; never longer.
        if (l == null || !s.admitted(id) || size <= 0 || size > LocalSegment.pages(l.size) * LocalSegment.PAGE) {
            s.result(tag, -EINVAL);
            return;
        }
        if (!s.hasCallbacks()) {
            // Without the helper's connection a grant could never be taken back.
            s.result(tag, -EPROTO);
            return;
        }
        AttachSegmentResponse r = registry(stub -> stub.attachSegment(AttachSegmentRequest.newBuilder()
                .setNode(node).setId(id).setGpid(s.gpid).setPid(s.pid).setIncarnation(incarnation).build()));
        if (r.getErrno() != 0) {
            s.result(tag, -r.getErrno());
            return;
        }
        s.regions().put(addr, new Region(s, l, addr, size, readOnly));
        s.result(tag, 0);
    }

    private void stat(ShmSession s, long tag, int id) throws IOException {
        LookupSegmentResponse r = registry(stub -> stub.lookupSegment(lookup(s).setId(id).build()));
        ByteBuffer b = Frame.buffer(72);
        if (r.getErrno() != 0) {
            b.putLong(-r.getErrno());
            while (b.hasRemaining()) {
                b.put((byte) 0);
            }
        } else {
            ShmSegment seg = r.getSegment();
            long cpid = seg.getCreatorGpid();
            long lpid = seg.getAttachmentsCount() > 0 ? seg.getAttachments(seg.getAttachmentsCount() - 1).getGpid() : cpid;
            long atime = seg.getAttachmentsList().stream().mapToLong(a -> a.getAttachedAtEpochMs() / 1000).max().orElse(0);
            b.putLong(0).putLong(seg.getSizeBytes()).putInt(seg.getKey()).putInt(seg.getMode())
                    .putInt(seg.getAttachmentsCount()).putInt(0).putLong(cpid).putLong(lpid)
                    .putLong(atime).putLong(0).putLong(seg.getCreatedAtEpochMs() / 1000);
        }
        s.reply(Frame.STAT_OK, tag, b);
    }

    /**
     * A process touched a page it may not: grant it what this node holds, or first get the page
     * from the segment's home. The page stays locked here from the grant until the library says it
     * applied it, so a revocation never overtakes a grant. A read also opens the following pages
     * this node holds (read ahead from the home while the process reads in order) with the same
     * mprotect: the answer is the protection and, above its low byte, the number of pages.
     */
    private void fault(ShmSession s, long tag, long addr, long page, boolean write) throws IOException {
        Region r = s.regions().get(addr);
        if (r == null || page < 0 || page >= r.pages) {
            s.result(tag, -EFAULT);
            return;
        }
        if (write && r.readOnly) {
            s.result(tag, -EACCES);
            return;
        }
        LocalSegment seg = r.segment;
        (write ? seg.writeFaults : seg.readFaults).incrementAndGet();
        int readAhead = write ? 0 : (int) Math.min(r.readAhead(page), r.pages - page - 1);
        while (true) {
            boolean hasCopy;
            ReentrantLock lock = seg.lock(page);
            lock.lock();
            try {
                byte st = seg.state(page);
                hasCopy = st >= LocalSegment.READ;
                if (write ? st == LocalSegment.WRITE : hasCopy) {
                    grant(s, tag, r, page, prot(r, st), readAhead);
                    return;
                }
            } finally {
                lock.unlock();
            }
            HomeDirectory.Outcome o = acquire(seg, page, write, hasCopy, readAhead);
            if (o.errno() != 0) {
                LOG.warning("segment " + seg.id + ": " + o.detail());
                s.result(tag, -o.errno());
                return;
            }
            install(seg, o.grants(), !seg.homeNode.equals(node));
            // Installed; another node may have taken it back already: look again.
        }
    }

    private static int prot(Region r, byte state) {
        return state == LocalSegment.WRITE && !r.readOnly ? 3 : state >= LocalSegment.READ ? 1 : 0;
    }

    /**
     * Grants page (its lock held) and the pages after it, up to readAhead, that the process cannot
     * touch yet and this node holds for the same protection, until the process applied it. Their
     * locks are only tried: this thread never waits for a lock while it holds one.
     */
    private void grant(ShmSession s, long tag, Region r, long page, int prot, int readAhead) throws IOException {
        LocalSegment seg = r.segment;
        List<ReentrantLock> held = new ArrayList<>();
        try {
            long end = page + 1;
            while (end <= page + readAhead) {
                ReentrantLock l = seg.lock(end);
                if (!l.tryLock()) {
                    break;
                }
                held.add(l);
                if (r.access(end) != 0 || prot(r, seg.state(end)) != prot) {
                    break;
                }
                end++;
            }
            for (long q = page; q < end; q++) {
                r.setAccess(q, prot);
            }
            r.granted(end);
            s.result(tag, prot | (end - page) << 8);
            Frame done = s.next();
            if (done.op() != Frame.FAULT_DONE) {
                throw new IOException("expected FAULT_DONE after a grant, got op " + done.op());
            }
        } finally {
            held.forEach(ReentrantLock::unlock);
        }
    }

    private HomeDirectory.Outcome acquire(LocalSegment seg, long page, boolean write, boolean hasCopy, int readAhead) {
        if (seg.homeNode.equals(node)) {
            if (!seg.homeIncarnation.equals(incarnation)) {
                return homeRestarted(seg.id);
            }
            return home(seg.id, seg.size).acquire(page, node, write, hasCopy, readAhead, nodes(seg.id));
        }
        String home = homeAddresses.get(seg.id);
        try {
            var r = peers.acquire(home, AcquirePageRequest.newBuilder().setSegment(shape(seg)).setPage(page)
                    .setWrite(write).setHasCopy(hasCopy).setReadAhead(readAhead).setNode(node).setAddress(address)
                    .setIncarnation(incarnation).build());
            return new HomeDirectory.Outcome(r.getErrno(), r.getDetail(),
                    r.getGrantsList().stream().map(HomeDirectory.Grant::of).toList());
        } catch (StatusRuntimeException e) {
            return HomeDirectory.Outcome.failed(EIO, "the segment's home " + seg.homeNode + " (" + home
                    + ") cannot be reached: " + e.getStatus());
        }
    }

    private static SegmentShape shape(LocalSegment seg) {
        return SegmentShape.newBuilder().setId(seg.id).setSizeBytes(seg.size).setHomeNode(seg.homeNode)
                .setHomeIncarnation(seg.homeIncarnation).build();
    }

    /** The directory of a segment homed here was kept by an earlier start of this agent. */
    private HomeDirectory.Outcome homeRestarted(int id) {
        return HomeDirectory.Outcome.failed(EIO, "segment " + id + " lost its page directory: the agent of its home node "
                + node + " restarted");
    }

    private HomeDirectory home(int id, long size) {
        return homes.computeIfAbsent(id, i -> new HomeDirectory(i, size, node, dirs.homeStore(i)));
    }

    // ---- the coherence protocol, as the home and as a holder of pages ----

    /** As the home: another node (or this one) asks for a page. */
    HomeDirectory.Outcome acquireAsHome(AcquirePageRequest req) {
        SegmentShape shape = req.getSegment();
        if (!shape.getHomeNode().equals(node)) {
            return HomeDirectory.Outcome.failed(EINVAL, "node " + node + " is not the home of segment " + shape.getId());
        }
        if (!shape.getHomeIncarnation().equals(incarnation)) {
            return homeRestarted(shape.getId());
        }
        nodeAddresses.put(req.getNode(), req.getAddress());
        String before = nodeIncarnations.put(req.getNode(), req.getIncarnation());
        if (before != null && !before.equals(req.getIncarnation())) {
            // That agent restarted: the copies it held are gone, and what it alone had written is lost.
            homes.values().forEach(h -> reportLost(h, h.forget(req.getNode()), "node " + req.getNode() + "'s agent restarted"));
        }
        HomeDirectory h = home(shape.getId(), shape.getSizeBytes());
        HomeDirectory.Outcome o = h.acquire(req.getPage(), req.getNode(), req.getWrite(), req.getHasCopy(),
                Math.min(req.getReadAhead(), Region.MAX_READ_AHEAD), nodes(shape.getId()));
        if (o.errno() == EIO) {
            reportLost(h, 0, o.detail());
        }
        h.pagesServed.addAndGet(o.grants().stream().filter(g -> g.data() != null).count());
        return o;
    }

    private void reportLost(HomeDirectory h, long newlyLost, String reason) {
        if (newlyLost == 0 && h.lostPages() == 0) {
            return;
        }
        long lost = h.lostPages();
        background.execute(() -> {
            try {
                controlPlane.call(ShmRegistryServiceGrpc::newBlockingStub, stub -> stub.reportLostPages(
                        ReportLostPagesRequest.newBuilder().setNode(node).setId(h.id).setLostPages(lost).setReason(reason).build()));
            } catch (StatusRuntimeException e) {
                LOG.warning("cannot report " + lost + " lost pages of segment " + h.id + ": " + e.getStatus());
            }
        });
    }

    private HomeDirectory.Nodes nodes(int id) {
        return new HomeDirectory.Nodes() {
            @Override
            public byte[] revoke(String target, long page, long grant, byte toState, boolean wantData)
                    throws HomeDirectory.NodeUnreachable {
                return revokeAt(id, target, page, grant, toState, wantData);
            }

            @Override
            public byte[][] downgradeHome(long[] pages, long[] grants) {
                return downgradeHere(id, pages, grants);
            }
        };
    }

    private byte[] revokeAt(int id, String target, long page, long grant, byte toState, boolean wantData)
            throws HomeDirectory.NodeUnreachable {
        if (target.equals(node)) {
            try {
                return revokeHere(id, page, grant, toState, wantData, false);
            } catch (StatusRuntimeException e) {
                throw new HomeDirectory.NodeUnreachable(target, e);
            }
        }
        try {
            RevokePageResponse r = peers.revoke(nodeAddresses.get(target), RevokePageRequest.newBuilder()
                    .setSegment(SegmentShape.newBuilder().setId(id).setHomeNode(node)).setPage(page).setGrant(grant)
                    .setToState(PageState.forNumber(toState + 0)).setWantData(wantData).build());
            if (!wantData || r.getUnchanged()) {
                return null;
            }
            // The bytes came to this node (its home store), whether or not they go on elsewhere.
            Optional.ofNullable(local.get(id)).ifPresent(l -> l.pagesReceived.incrementAndGet());
            return r.getData().toByteArray();
        } catch (StatusRuntimeException e) {
            throw new HomeDirectory.NodeUnreachable(target, e);
        }
    }

    /**
     * As the home, for a read-ahead: this node stops writing pages (ascending) and keeps them
     * readable, each process told once per run of adjacent pages. Their bytes, null for a page
     * whose grant had not been installed yet (the home's clean copy is current); null when this
     * node has no copy of the segment.
     */
    byte[][] downgradeHere(int id, long[] pages, long[] grants) {
        LocalSegment seg = local.get(id);
        if (seg == null) {
            return null;
        }
        List<ReentrantLock> held = new ArrayList<>();
        try {
            for (long q : pages) {
                ReentrantLock l = seg.lock(q);
                l.lock();
                held.add(l);
            }
            for (ShmSession s : sessions.values()) {
                for (Region r : s.regionsOf(seg)) {
                    int i = 0;
                    while (i < pages.length) {
                        int j = i;
                        while (j < pages.length && r.access(pages[j]) > 1 && (j == i || pages[j] == pages[j - 1] + 1)) {
                            j++;
                        }
                        if (j > i) {
                            s.protect(r, pages[i], j - i, 1);
                        }
                        i = Math.max(j, i + 1);
                    }
                }
            }
            byte[][] bytes = new byte[pages.length][];
            for (int i = 0; i < pages.length; i++) {
                bytes[i] = seg.revoke(pages[i], grants[i], LocalSegment.READ) ? seg.read(pages[i]) : null;
            }
            seg.invalidations.addAndGet(pages.length);
            return bytes;
        } finally {
            held.forEach(ReentrantLock::unlock);
        }
    }

    /** Takes the pages the home granted into this node's copy (from another node: remote). */
    private void install(LocalSegment seg, List<HomeDirectory.Grant> grants, boolean remote) {
        for (HomeDirectory.Grant g : grants) {
            ReentrantLock lock = seg.lock(g.page());
            lock.lock();
            try {
                if (seg.install(g) && remote && g.data() != null) {
                    seg.pagesReceived.incrementAndGet();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Lowers this node's hold on a page, taken by the home's grant: every process that could still
     * see (or write) it is told first, and has applied it, before the bytes are read. Null when
     * the bytes are not wanted or the grant had not arrived yet (the home's clean copy is current).
     */
    byte[] revokeHere(int id, long page, long grant, byte toState, boolean wantData, boolean remote) {
        LocalSegment seg = local.get(id);
        if (seg == null) {
            if (!wantData) {
                return null;
            }
            // The home believes this node holds the page's only good copy, but this start of the
            // agent never had it: it was lost with the previous one. Empty bytes would pass for data.
            throw Status.DATA_LOSS.withDescription("node " + node + " holds no copy of segment " + id
                    + ": its agent restarted and lost it").asRuntimeException();
        }
        int allowed = toState == LocalSegment.READ ? 1 : 0;
        ReentrantLock lock = seg.lock(page);
        lock.lock();
        try {
            for (ShmSession s : sessions.values()) {
                for (Region r : s.regionsOf(seg)) {
                    if (r.access(page) > allowed) {
                        s.protect(r, page, 1, allowed);
                    }
                }
            }
            boolean ours = seg.revoke(page, grant, toState);
            seg.invalidations.incrementAndGet();
            if (!wantData || !ours) {
                return null;
            }
            if (remote) {
                seg.pagesSent.incrementAndGet();
            }
            return seg.read(page);
        } finally {
            lock.unlock();
        }
    }

    ShmNodePages describe(int id) {
        ShmNodePages.Builder b = ShmNodePages.newBuilder().setNode(node);
        LocalSegment seg = local.get(id);
        HomeDirectory h = homes.get(id);
        long served = h == null ? 0 : h.pagesServed.get();
        if (seg != null) {
            b.setResidentPages(seg.count(LocalSegment.READ)).setWritablePages(seg.count(LocalSegment.WRITE))
                    .setReadFaults(seg.readFaults.get()).setWriteFaults(seg.writeFaults.get())
                    .setPagesReceived(seg.pagesReceived.get()).setInvalidations(seg.invalidations.get());
        }
        return b.setPagesSent((seg == null ? 0 : seg.pagesSent.get()) + served).build();
    }

    void drop(int id) {
        LocalSegment seg = local.remove(id);
        if (seg != null) {
            seg.close();
        }
        HomeDirectory h = homes.remove(id);
        if (h != null) {
            h.close();
        }
    }

    // ---- sessions ending ----

    void ended(ShmSession s) {
        sessions.remove(s.id);
        for (Region r : s.regions().values()) {
            detached(s, r);
        }
        s.regions().clear();
    }

    private void detached(ShmSession s, Region r) {
        background.execute(() -> {
            try {
                DetachSegmentResponse d = controlPlane.call(ShmRegistryServiceGrpc::newBlockingStub, stub -> stub.detachSegment(
                        DetachSegmentRequest.newBuilder().setNode(node).setId(r.segment.id).setGpid(s.gpid).setPid(s.pid).build()));
                if (d.getDestroyed()) {
                    drop(r.segment.id);
                }
            } catch (StatusRuntimeException e) {
                LOG.warning("cannot record that pid " + s.pid + " detached segment " + r.segment.id + ": " + e.getStatus());
            }
        });
    }

    private <T> T registry(Function<ShmRegistryServiceGrpc.ShmRegistryServiceBlockingStub, T> call) throws IOException {
        try {
            return controlPlane.call(ShmRegistryServiceGrpc::newBlockingStub, call);
        } catch (StatusRuntimeException e) {
            throw new IOException("the control plane did not answer: " + e.getStatus(), e);
        }
    }

    @Override
    public void close() {
        sessions.values().forEach(ShmSession::close);
        background.shutdownNow();
        local.values().forEach(LocalSegment::close);
        homes.values().forEach(HomeDirectory::close);
    }
}
